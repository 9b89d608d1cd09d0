import { createFakeClock, createScriptedProvider } from '@keel/testkit';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { KeelError } from '@keel/core';
import { keelWith, user } from './helpers.js';

afterEach(() => vi.useRealTimers());

const server500 = () => ({ error: new KeelError('server', 'boom', { status: 500 }) });

describe('breaker registry: bounded, one clock', () => {
  // 3x the default bound proves it; each opossum breaker costs ~0.1 ms to build, so 20k would
  // make this test slow on a loaded machine without proving more.
  it('3,000 distinct model names keep at most maxBreakers (default 1,000) breakers', async () => {
    const provider = createScriptedProvider({ steps: () => ({ text: 'ok' }) });
    const { keel } = keelWith(provider, { retry: { maxAttempts: 1 } }, { clock: createFakeClock() });
    for (let i = 0; i < 3_000; i++) await keel.chat({ feature: 'f', model: `model-${i}`, messages: user() });
    expect(keel.breakers()).toHaveLength(1_000);
    // The most recently used are the ones kept.
    expect(keel.breakers().some((b) => b.model === 'model-2999')).toBe(true);
    expect(keel.breakers().some((b) => b.model === 'model-0')).toBe(false);
    keel.close();
  });

  it('repeated calls to one model reuse its breaker; after it is evicted a fresh one counts from zero', async () => {
    const provider = createScriptedProvider({ steps: (request) => (request.model === 'bad' ? server500() : { text: 'ok' }) });
    const { keel } = keelWith(provider, { retry: { maxAttempts: 1 } }, { clock: createFakeClock(), defaults: { breaker: { maxBreakers: 1, consecutiveFailures: 3 } } });
    // Two failures on `bad`, each through the registry's last-used breaker: they add up.
    for (let i = 0; i < 2; i++) await keel.chat({ feature: 'f', model: 'bad', messages: user() }).catch(() => undefined);
    expect(keel.breaker('scripted', 'bad')).toMatchObject({ state: 'closed', failures: 2 });
    // With room for one breaker, another model evicts it: its counts are gone.
    await keel.chat({ feature: 'f', model: 'good', messages: user() });
    expect(keel.breaker('scripted', 'bad')).toMatchObject({ state: 'closed', failures: 0 });
    // A fresh breaker for `bad`: two more failures do not reach the three that open it.
    for (let i = 0; i < 2; i++) await keel.chat({ feature: 'f', model: 'bad', messages: user() }).catch(() => undefined);
    expect(keel.breaker('scripted', 'bad')).toMatchObject({ state: 'closed', failures: 2 });
    // The third in a row opens it, and the open breaker is the one the next call meets.
    await keel.chat({ feature: 'f', model: 'bad', messages: user() }).catch(() => undefined);
    expect(keel.breaker('scripted', 'bad').state).toBe('open');
    await expect(keel.chat({ feature: 'f', model: 'bad', messages: user() })).rejects.toMatchObject({ kind: 'circuit_open' });
    keel.close();
  });

  it('a flood of new model names evicts closed breakers, never an open one', async () => {
    const provider = createScriptedProvider({ steps: (request) => (request.model === 'bad' ? server500() : { text: 'ok' }) });
    const { keel } = keelWith(provider, { retry: { maxAttempts: 1 } }, { clock: createFakeClock(), defaults: { breaker: { maxBreakers: 50, halfOpenAfterMs: 600_000 } } });
    for (let i = 0; i < 5; i++) await keel.chat({ feature: 'f', model: 'bad', messages: user() }).catch(() => undefined);
    expect(keel.breaker('scripted', 'bad').state).toBe('open');
    for (let i = 0; i < 500; i++) await keel.chat({ feature: 'f', model: `flood-${i}`, messages: user() });
    expect(keel.breakers().length).toBeLessThanOrEqual(100);
    expect(keel.breaker('scripted', 'bad').state).toBe('open');
    const sent = provider.calls.length;
    await expect(keel.chat({ feature: 'f', model: 'bad', messages: user() })).rejects.toMatchObject({ kind: 'circuit_open' });
    expect(provider.calls).toHaveLength(sent);
    keel.close();
  });

  it('many breakers arm no timer of their own: the rolling windows follow Keel’s clock', async () => {
    vi.useFakeTimers();
    const clock = createFakeClock({ start: Date.now() });
    const provider = createScriptedProvider({ steps: (request) => (request.model.startsWith('bad') ? server500() : { text: 'ok' }) });
    const breaker = { minimumAttempts: 100, windowMs: 10_000 };
    const { keel } = keelWith(provider, { retry: { maxAttempts: 1 } }, { clock, defaults: { breaker } });
    for (let i = 0; i < 500; i++) await keel.chat({ feature: 'f', model: `model-${i}`, messages: user() });
    for (let i = 0; i < 3; i++) await keel.chat({ feature: 'f', model: 'bad', messages: user() }).catch(() => undefined);
    expect(keel.breakers()).toHaveLength(501);
    // opossum would give each breaker its own setInterval; none is armed, on either clock.
    expect(vi.getTimerCount()).toBe(0);
    expect(clock.pendingTimers()).toBe(0);

    expect(keel.breaker('scripted', 'bad')).toMatchObject({ attempts: 3, failures: 3 });
    clock.advance(5_000);
    expect(keel.breaker('scripted', 'bad')).toMatchObject({ attempts: 3, failures: 3 });
    clock.advance(5_000);
    // A whole window later on Keel's clock, the counts have rotated out.
    expect(keel.breaker('scripted', 'bad')).toMatchObject({ attempts: 0, failures: 0 });
    keel.close();
  });
});
