import { createScriptedProvider } from '@keel/testkit';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { KeelError } from '@keel/core';
import { failure, keelWith, user } from './helpers.js';

// opossum's half-open reset timer is a global timer, so these tests fake global time (Keel's
// default system clock reads the same faked time).
beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

const breaker = { failureRatio: 0.5, minimumAttempts: 4, windowMs: 10_000, halfOpenAfterMs: 5_000 };
const once = { retry: { maxAttempts: 1 } };
const server500 = () => ({ error: new KeelError('server', 'boom', { status: 500 }) });

describe('breaker: what the caller caused is neutral', () => {
  it("a caller's short deadlineMs cutting a slow but healthy provider does not open its breaker", async () => {
    const provider = createScriptedProvider({ steps: () => ({ text: 'ok', delayMs: 2_000 }) });
    const { keel } = keelWith(provider, once, { defaults: { breaker } });
    for (let i = 0; i < 12; i++) {
      const pending = failure(keel.chat({ feature: 'f', messages: user(), deadlineMs: 100 }));
      await vi.advanceTimersByTimeAsync(100);
      expect(await pending).toMatchObject({ kind: 'timeout' });
    }
    expect(keel.breaker('scripted', 'm')).toMatchObject({ state: 'closed', failures: 0, attempts: 0 });
    // Every other caller still reaches the provider.
    const patient = keel.chat({ feature: 'f', messages: user() });
    await vi.advanceTimersByTimeAsync(2_000);
    await expect(patient).resolves.toMatchObject({ text: 'ok' });
    expect(provider.calls).toHaveLength(13);
    keel.close();
  });

  it('an attempt timeout (the provider was slow) still counts and opens it', async () => {
    const provider = createScriptedProvider({ steps: () => ({ hang: true }) });
    const { keel } = keelWith(provider, { ...once, timeouts: { attemptMs: 100 } }, { defaults: { breaker } });
    for (let i = 0; i < 4; i++) {
      const pending = failure(keel.chat({ feature: 'f', messages: user() }));
      await vi.advanceTimersByTimeAsync(100);
      expect(await pending).toMatchObject({ kind: 'timeout' });
    }
    expect(keel.breaker('scripted', 'm').state).toBe('open');
    await expect(keel.chat({ feature: 'f', messages: user() })).rejects.toMatchObject({ kind: 'circuit_open' });
    expect(provider.calls).toHaveLength(4);
    keel.close();
  });

  it('a stream whose first token misses the caller deadline is neutral; a first-token timeout counts', async () => {
    const provider = createScriptedProvider({ steps: () => ({ stream: ['a', 'b'], firstTokenDelayMs: 2_000 }) });
    const { keel } = keelWith(provider, { ...once, timeouts: { firstTokenMs: 500 } }, { defaults: { breaker } });
    const drain = async (deadlineMs?: number) => {
      const pending = failure(keel.stream({ feature: 'f', messages: user(), ...(deadlineMs ? { deadlineMs } : {}) }).text());
      await vi.advanceTimersByTimeAsync(500);
      return pending;
    };
    for (let i = 0; i < 6; i++) expect(await drain(200)).toMatchObject({ kind: 'timeout' });
    expect(keel.breaker('scripted', 'm')).toMatchObject({ state: 'closed', failures: 0 });
    for (let i = 0; i < 4; i++) expect(await drain()).toMatchObject({ kind: 'timeout' });
    expect(keel.breaker('scripted', 'm').state).toBe('open');
    keel.close();
  });

  it('a half-open probe aborted by its caller leaves the breaker half-open; the next probe decides', async () => {
    let mode: 'fail' | 'hang' = 'fail';
    const provider = createScriptedProvider({ steps: () => (mode === 'hang' ? { hang: true } : server500()) });
    const { keel, events } = keelWith(provider, once, { defaults: { breaker } });
    for (let i = 0; i < 4; i++) await failure(keel.chat({ feature: 'f', messages: user() }));
    await vi.advanceTimersByTimeAsync(5_000);
    expect(keel.breaker('scripted', 'm').state).toBe('half_open');

    mode = 'hang';
    const controller = new AbortController();
    const probe = failure(keel.chat({ feature: 'f', messages: user(), signal: controller.signal }));
    await vi.advanceTimersByTimeAsync(1);
    controller.abort();
    expect(await probe).toMatchObject({ kind: 'aborted' });
    expect(keel.breaker('scripted', 'm').state).toBe('half_open');
    expect(events.some((e) => e.type === 'breaker.closed')).toBe(false);

    // The provider still fails: the next probe is admitted, fails, and re-opens the breaker.
    mode = 'fail';
    await expect(keel.chat({ feature: 'f', messages: user() })).rejects.toMatchObject({ kind: 'server' });
    expect(keel.breaker('scripted', 'm').state).toBe('open');
    await expect(keel.chat({ feature: 'f', messages: user() })).rejects.toMatchObject({ kind: 'circuit_open' });
    expect(provider.calls).toHaveLength(6);
    keel.close();
  });

  it('neutral outcomes do not dilute the ratio: aborts between failures leave it opening on the failures', async () => {
    let hang = false;
    const provider = createScriptedProvider({ steps: () => (hang ? { hang: true } : server500()) });
    const { keel } = keelWith(provider, once, { defaults: { breaker: { ...breaker, minimumAttempts: 3 } } });
    for (let i = 0; i < 3; i++) {
      hang = false;
      await failure(keel.chat({ feature: 'f', messages: user() }));
      hang = true;
      const controller = new AbortController();
      const aborted = failure(keel.chat({ feature: 'f', messages: user(), signal: controller.signal }));
      await vi.advanceTimersByTimeAsync(1);
      controller.abort();
      await aborted;
    }
    // 3 failures out of 3 counted attempts; the 3 aborts are not attempts for the breaker.
    expect(keel.breaker('scripted', 'm')).toMatchObject({ state: 'open', attempts: 3, failures: 3 });
    keel.close();
  });

  it('429 does not count: a burst of 429s that all succeed on their retry leaves the breaker closed', async () => {
    const provider = createScriptedProvider({
      steps: (_request, _context, index) =>
        index < 10 ? { error: new KeelError('rate_limited', 'slow down', { status: 429, retryAfterMs: 1_000 }) } : { text: 'ok' },
    });
    const { keel } = keelWith(provider, { retry: { maxAttempts: 2 } }, { defaults: { breaker } });
    const burst = Array.from({ length: 10 }, () => keel.chat({ feature: 'f', messages: user() }));
    await vi.advanceTimersByTimeAsync(1_000);
    const results = await Promise.all(burst);
    expect(results.map((r) => r.text)).toEqual(Array(10).fill('ok'));
    expect(results.every((r) => r.attempts.map((a) => a.outcome).join() === 'rate_limited,ok')).toBe(true);
    expect(keel.breaker('scripted', 'm')).toMatchObject({ state: 'closed', failures: 0, attempts: 10 });
    expect(provider.calls).toHaveLength(20);
    keel.close();
  });
});
