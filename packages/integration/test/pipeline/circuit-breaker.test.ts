import { createScriptedProvider } from '@keel/testkit';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { KeelError, type KeelEvent } from '@keel/core';
import { failure, keelWith, user } from './helpers.js';

// opossum keeps its own timers (rolling window, reset timeout), so these tests fake global time.
beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

const breaker = { failureRatio: 0.5, minimumAttempts: 4, windowMs: 10_000, halfOpenAfterMs: 5_000 };
const once = { retry: { maxAttempts: 1 } };
const server500 = () => ({ error: new KeelError('server', 'boom', { status: 500 }) });

describe('circuit breaker (per provider+model)', () => {
  it('opens on a failure ratio over the minimum volume, then fails fast without sending', async () => {
    let healthy = false;
    const provider = createScriptedProvider({ steps: () => (healthy ? { text: 'ok' } : server500()) });
    const { keel, events } = keelWith(provider, once, { defaults: { breaker } });
    for (let i = 0; i < 4; i++) await expect(keel.chat({ feature: 'f', messages: user() })).rejects.toMatchObject({ kind: 'server' });
    expect(keel.breaker('scripted', 'm').state).toBe('open');
    expect(events.some((e) => e.type === 'breaker.opened')).toBe(true);

    await expect(keel.chat({ feature: 'f', messages: user() })).rejects.toMatchObject({ kind: 'circuit_open', retryable: false });
    expect(provider.calls).toHaveLength(4); // nothing was sent

    // After halfOpenAfterMs it admits a probe; success closes it.
    healthy = true;
    await vi.advanceTimersByTimeAsync(5_000);
    expect(keel.breaker('scripted', 'm').state).toBe('half_open');
    await expect(keel.chat({ feature: 'f', messages: user() })).resolves.toMatchObject({ text: 'ok' });
    expect(keel.breaker('scripted', 'm').state).toBe('closed');
    expect(events.filter((e): e is Extract<KeelEvent, { type: `breaker.${string}` }> => e.type.startsWith('breaker.')).map((e) => e.type)).toEqual([
      'breaker.opened',
      'breaker.half_open',
      'breaker.closed',
    ]);
    keel.close();
  });

  it('half-open admits one probe at a time; a failed probe re-opens it', async () => {
    const provider = createScriptedProvider({ steps: () => ({ error: new KeelError('server', 'boom', { status: 500 }), delayMs: 100 }) });
    const { keel } = keelWith(provider, once, { defaults: { breaker } });
    for (let i = 0; i < 4; i++) {
      const pending = failure(keel.chat({ feature: 'f', messages: user() }));
      await vi.advanceTimersByTimeAsync(100);
      await pending;
    }
    await vi.advanceTimersByTimeAsync(5_000);
    const sentBefore = provider.calls.length;
    const probes = Array.from({ length: 5 }, () => failure(keel.chat({ feature: 'f', messages: user() })));
    await vi.advanceTimersByTimeAsync(100);
    const outcomes = (await Promise.all(probes)).map((e) => e.kind);
    expect(provider.calls.length - sentBefore).toBe(1);
    expect(outcomes.filter((k) => k === 'circuit_open')).toHaveLength(4);
    expect(outcomes.filter((k) => k === 'server')).toHaveLength(1);
    expect(keel.breaker('scripted', 'm').state).toBe('open');
    keel.close();
  });

  it('does not count caller-caused kinds', async () => {
    const kinds = ['bad_request', 'auth', 'context_length', 'content_filter'] as const;
    const provider = createScriptedProvider({ steps: () => ({ error: new KeelError(kinds[provider.calls.length % kinds.length]!, 'caller fault') }) });
    const { keel } = keelWith(provider, once, { defaults: { breaker } });
    for (let i = 0; i < 12; i++) await keel.chat({ feature: 'f', messages: user() }).catch(() => undefined);
    expect(keel.breaker('scripted', 'm')).toMatchObject({ state: 'closed', failures: 0 });
    expect(provider.calls).toHaveLength(12);
    keel.close();
  });

  it('does not count a caller abort', async () => {
    const provider = createScriptedProvider({ steps: () => ({ hang: true }) });
    const { keel } = keelWith(provider, once, { defaults: { breaker } });
    for (let i = 0; i < 6; i++) {
      const controller = new AbortController();
      const pending = failure(keel.chat({ feature: 'f', messages: user(), signal: controller.signal }));
      await vi.advanceTimersByTimeAsync(1);
      controller.abort();
      expect(await pending).toMatchObject({ kind: 'aborted' });
    }
    expect(keel.breaker('scripted', 'm').state).toBe('closed');
    keel.close();
  });

  it('sees every attempt: retries inside one call count, and an open breaker stops the retries at once', async () => {
    const provider = createScriptedProvider({ steps: server500 });
    const { keel } = keelWith(provider, { retry: { maxAttempts: 10, baseDelayMs: 0 } }, { defaults: { breaker } });
    const pending = failure(keel.chat({ feature: 'f', messages: user() }));
    await vi.advanceTimersByTimeAsync(1_000);
    const error = await pending;
    expect(provider.calls).toHaveLength(4);
    expect(error.kind).toBe('circuit_open');
    expect(error.attempts.map((a) => a.outcome)).toEqual(['server', 'server', 'server', 'server', 'circuit_open']);
    keel.close();
  });

  it('keeps one breaker per provider+model', async () => {
    const provider = createScriptedProvider({ steps: (request) => (request.model === 'bad' ? server500() : { text: 'ok' }) });
    const { keel } = keelWith(provider, once, { defaults: { breaker } });
    for (let i = 0; i < 4; i++) await keel.chat({ feature: 'f', model: 'bad', messages: user() }).catch(() => undefined);
    expect(keel.breaker('scripted', 'bad').state).toBe('open');
    await expect(keel.chat({ feature: 'f', model: 'good', messages: user() })).resolves.toMatchObject({ text: 'ok' });
    expect(keel.breakers().map((b) => `${b.model}:${b.state}`).sort()).toEqual(['bad:open', 'good:closed']);
    keel.close();
  });
});
