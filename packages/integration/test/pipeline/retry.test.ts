import { createFakeClock, createScriptedProvider } from '@keel/testkit';
import { describe, expect, it, vi } from 'vitest';
import { KeelError } from '@keel/core';
import { failure, keelWith, user } from './helpers.js';

const fail = (kind: ConstructorParameters<typeof KeelError>[0], options: ConstructorParameters<typeof KeelError>[2] = {}) => ({
  error: new KeelError(kind, `scripted ${kind}`, options),
});

describe('retry policy', () => {
  it('retries retryable kinds with full-jitter backoff and records every attempt', async () => {
    const clock = createFakeClock();
    const provider = createScriptedProvider({ clock, steps: [fail('server', { status: 500 }), fail('overloaded', { status: 529 }), { text: 'ok' }] });
    const { keel, events } = keelWith(provider, { retry: { baseDelayMs: 100, maxDelayMs: 1000 } }, { clock });
    const result = await keel.chat({ feature: 'f', messages: user() });
    expect(result.text).toBe('ok');
    expect(result.attempts.map((a) => a.outcome)).toEqual(['server', 'overloaded', 'ok']);
    expect(result.attempts[0]!.status).toBe(500);
    expect(provider.calls).toHaveLength(3);
    // Full jitter: each wait is within [0, base × 2^(n-1)).
    expect(clock.sleeps).toHaveLength(2);
    expect(clock.sleeps[0]).toBeLessThan(100);
    expect(clock.sleeps[1]).toBeLessThan(200);
    expect(events.filter((e) => e.type === 'retry.scheduled').map((e) => e.type === 'retry.scheduled' && e.reason)).toEqual(['backoff', 'backoff']);
    keel.close();
  });

  it('does not retry non-retryable kinds, nor an error the server marked x-should-retry: false', async () => {
    for (const step of [fail('bad_request', { status: 400 }), fail('auth', { status: 401 }), fail('server', { status: 500, retryable: false })]) {
      const provider = createScriptedProvider({ steps: [step, { text: 'never' }] });
      const { keel } = keelWith(provider);
      await expect(keel.chat({ feature: 'f', messages: user() })).rejects.toMatchObject({ kind: step.error.kind, attempts: [{ outcome: step.error.kind }] });
      expect(provider.calls).toHaveLength(1);
      keel.close();
    }
  });

  it('retries an error the server marked x-should-retry: true even if its kind would not be', async () => {
    const provider = createScriptedProvider({ steps: [fail('bad_request', { status: 409, retryable: true, retryAfterMs: 0 }), { text: 'ok' }] });
    const { keel } = keelWith(provider);
    await expect(keel.chat({ feature: 'f', messages: user() })).resolves.toMatchObject({ text: 'ok' });
    keel.close();
  });

  it('stops after maxAttempts and reports the last error with all attempts', async () => {
    const clock = createFakeClock();
    const provider = createScriptedProvider({ clock, steps: () => fail('server', { status: 503 }) });
    const { keel } = keelWith(provider, { retry: { maxAttempts: 4 } }, { clock });
    const error = await failure(keel.chat({ feature: 'f', messages: user() }));
    expect(error.kind).toBe('server');
    expect(error.attempts).toHaveLength(4);
    expect(provider.calls).toHaveLength(4);
    keel.close();
  });

  it('honours a server-directed wait exactly', async () => {
    const clock = createFakeClock();
    const provider = createScriptedProvider({ clock, steps: [fail('rate_limited', { status: 429, retryAfterMs: 2500 }), { text: 'ok' }] });
    const { keel, events } = keelWith(provider, {}, { clock });
    const result = await keel.chat({ feature: 'f', messages: user() });
    expect(clock.sleeps).toEqual([2500]);
    expect(result.attempts[0]).toMatchObject({ outcome: 'rate_limited', waitMs: 2500 });
    expect(events.find((e) => e.type === 'retry.scheduled')).toMatchObject({ delayMs: 2500, reason: 'server' });
    keel.close();
  });

  it('never sleeps past the deadline: retry-after 3600 s fails now as rate_limited with retryAfterMs', async () => {
    const clock = createFakeClock();
    const provider = createScriptedProvider({ clock, steps: [fail('rate_limited', { status: 429, retryAfterMs: 3_600_000 }), { text: 'never' }] });
    const { keel } = keelWith(provider, { retry: { maxServerWaitMs: 7_200_000 }, timeouts: { totalMs: 60_000 } }, { clock });
    const error = await failure(keel.chat({ feature: 'f', messages: user() }));
    expect(error).toMatchObject({ kind: 'rate_limited', retryAfterMs: 3_600_000, retryable: false });
    expect(error.message).toMatch(/remaining deadline/);
    expect(clock.sleeps).toEqual([]);
    expect(provider.calls).toHaveLength(1);
    keel.close();
  });

  it('caps a server-directed wait at maxServerWaitMs', async () => {
    const clock = createFakeClock();
    const provider = createScriptedProvider({ clock, steps: [fail('overloaded', { status: 529, retryAfterMs: 45_000 }), { text: 'never' }] });
    const { keel } = keelWith(provider, {}, { clock });
    await expect(keel.chat({ feature: 'f', messages: user() })).rejects.toMatchObject({ kind: 'rate_limited', retryAfterMs: 45_000 });
    expect(clock.sleeps).toEqual([]);
    keel.close();
  });

  it('never exceeds the total deadline across attempts and waits', async () => {
    const clock = createFakeClock();
    const provider = createScriptedProvider({ clock, steps: () => ({ error: new KeelError('rate_limited', 'slow down', { retryAfterMs: 400 }), delayMs: 150 }) });
    const { keel } = keelWith(provider, { retry: { maxAttempts: 20 }, timeouts: { totalMs: 2_000 } }, { clock });
    const error = await failure(keel.chat({ feature: 'f', messages: user() }));
    expect(clock.elapsed()).toBeLessThanOrEqual(2_000);
    expect(error.kind).toBe('rate_limited');
    expect(error.attempts.length).toBeGreaterThan(2);
    expect(error.attempts.length).toBeLessThan(20);
    keel.close();
  });

  it('a server-directed retry that would start with less than minAttemptMs left fails now as rate_limited with retryAfterMs', async () => {
    const clock = createFakeClock();
    const provider = createScriptedProvider({
      clock,
      steps: [{ ...fail('rate_limited', { status: 429, retryAfterMs: 800 }), delayMs: 100 }, { text: 'late', delayMs: 200 }],
    });
    const { keel, events } = keelWith(provider, { timeouts: { totalMs: 1_000 } }, { clock });
    // 100 ms spent + an 800 ms wait would leave 100 ms, under the default minAttemptMs of 250.
    const error = await failure(keel.chat({ feature: 'f', messages: user() }));
    expect(error).toMatchObject({ kind: 'rate_limited', retryAfterMs: 800, retryable: false, attempts: [{ outcome: 'rate_limited' }] });
    expect(error.message).toMatch(/remaining deadline/);
    expect(clock.sleeps).toEqual([100]); // the provider's own delay; Keel slept nothing
    expect(provider.calls).toHaveLength(1);
    expect(events.find((e) => e.type === 'retry.denied')).toMatchObject({ reason: 'deadline' });
    keel.close();
  });

  it('a backoff retry that would start with less than minAttemptMs left fails now with the last error', async () => {
    const clock = createFakeClock();
    const provider = createScriptedProvider({ clock, steps: [{ ...fail('server', { status: 500 }), delayMs: 900 }, { text: 'late', delayMs: 50 }] });
    const { keel } = keelWith(provider, { timeouts: { totalMs: 1_000 }, retry: { baseDelayMs: 0 } }, { clock });
    const error = await failure(keel.chat({ feature: 'f', messages: user() }));
    expect(error).toMatchObject({ kind: 'server', status: 500, attempts: [{ outcome: 'server' }] });
    expect(provider.calls).toHaveLength(1);
    keel.close();
  });

  it('minAttemptMs is configurable: with 50 the same retry is sent', async () => {
    const clock = createFakeClock();
    const provider = createScriptedProvider({ clock, steps: [{ ...fail('server', { status: 500 }), delayMs: 900 }, { text: 'in time', delayMs: 50 }] });
    const { keel } = keelWith(provider, { timeouts: { totalMs: 1_000, minAttemptMs: 50 }, retry: { baseDelayMs: 0 } }, { clock });
    await expect(keel.chat({ feature: 'f', messages: user() })).resolves.toMatchObject({ text: 'in time' });
    expect(provider.calls).toHaveLength(2);
    keel.close();
  });

  it('no fallback candidate starts with less than minAttemptMs left: the call ends with the previous error', async () => {
    const clock = createFakeClock();
    const provider = createScriptedProvider({ clock, steps: [{ ...fail('overloaded', { status: 529 }), delayMs: 800 }, { text: 'fallback' }] });
    const { keel, events } = keelWith(
      provider,
      { models: [{ provider: 'scripted', model: 'a' }, { provider: 'scripted', model: 'b' }], timeouts: { totalMs: 1_000 }, retry: { maxAttempts: 1 } },
      { clock },
    );
    const error = await failure(keel.chat({ feature: 'f', messages: user() }));
    expect(error).toMatchObject({ kind: 'overloaded', model: 'a' });
    expect(provider.calls.map((call) => call.request.model)).toEqual(['a']);
    expect(events.some((e) => e.type === 'fallback')).toBe(false);
    keel.close();
  });

  it('a short per-request deadlineMs still gets its first attempt (the minimum is capped at half the deadline)', async () => {
    const clock = createFakeClock();
    const provider = createScriptedProvider({ clock, steps: [{ text: 'quick', delayMs: 80 }] });
    const { keel } = keelWith(provider, {}, { clock });
    await expect(keel.chat({ feature: 'f', messages: user(), deadlineMs: 100 })).resolves.toMatchObject({ text: 'quick' });
    keel.close();
  });

  it('a per-request deadlineMs tightens the feature deadline', async () => {
    const clock = createFakeClock();
    const provider = createScriptedProvider({ clock, steps: [{ hang: true }] });
    const { keel } = keelWith(provider, {}, { clock });
    const pending = keel.chat({ feature: 'f', messages: user(), deadlineMs: 500 });
    await vi.waitFor(() => expect(provider.calls).toHaveLength(1));
    clock.advance(500);
    await expect(pending).rejects.toMatchObject({ kind: 'timeout', retryable: false });
    expect(provider.calls[0]!.context.signal.aborted).toBe(true);
    keel.close();
  });

  it('an attempt timeout is retried; the provider sees its signal abort', async () => {
    const clock = createFakeClock();
    const provider = createScriptedProvider({ clock, steps: [{ hang: true }, { text: 'second' }] });
    const { keel } = keelWith(provider, { timeouts: { attemptMs: 1_000 } }, { clock });
    const pending = keel.chat({ feature: 'f', messages: user() });
    await vi.waitFor(() => expect(provider.calls).toHaveLength(1));
    clock.advance(1_000);
    const result = await pending;
    expect(result.text).toBe('second');
    expect(result.attempts[0]).toMatchObject({ outcome: 'timeout' });
    expect(provider.calls[0]!.context.signal.aborted).toBe(true);
    keel.close();
  });

  it("a caller's abort cancels the in-flight attempt and is reported as aborted", async () => {
    const provider = createScriptedProvider({ steps: [{ hang: true }] });
    const { keel } = keelWith(provider);
    const controller = new AbortController();
    const pending = keel.chat({ feature: 'f', messages: user(), signal: controller.signal });
    await new Promise((resolve) => setImmediate(resolve));
    controller.abort();
    await expect(pending).rejects.toMatchObject({ kind: 'aborted' });
    expect(provider.calls).toHaveLength(1);
    expect(provider.calls[0]!.context.signal.aborted).toBe(true);
    keel.close();
  });

  it('the retry budget caps amplification under a burst of 100% failures', async () => {
    const clock = createFakeClock();
    const provider = createScriptedProvider({ clock, steps: () => fail('server', { status: 500 }) });
    const { keel, events } = keelWith(provider, { retry: { maxAttempts: 5, baseDelayMs: 1 } }, {
      clock,
      defaults: { retryBudget: { ratio: 0.2, minRetries: 5, windowMs: 60_000 }, breaker: { minimumAttempts: 10_000, consecutiveFailures: 10_000 } },
    });
    const calls = 200;
    const results = await Promise.allSettled(Array.from({ length: calls }, () => keel.chat({ feature: 'f', messages: user() })));
    expect(results.every((r) => r.status === 'rejected')).toBe(true);
    const retries = provider.calls.length - calls;
    // Without a budget: 200 × 4 = 800 retries. With it: at most 5 + 20% of calls.
    expect(retries).toBeLessThanOrEqual(5 + 0.2 * calls);
    expect(retries).toBeGreaterThan(0);
    expect(events.some((e) => e.type === 'retry.denied' && e.reason === 'retry_budget')).toBe(true);
    keel.close();
  });
});
