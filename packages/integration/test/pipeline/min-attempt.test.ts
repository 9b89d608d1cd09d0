/**
 * `timeouts.minAttemptMs`: no attempt starts with less than that left of the deadline, whatever
 * ate the time — a retry wait, a rate-limit wait, a slow budget store — and for streams too.
 */
import { createFakeClock, createScriptedProvider } from '@keel/testkit';
import { describe, expect, it } from 'vitest';
import { createInMemoryBudgetStore, createKeel, KeelError, type BudgetStore } from '@keel/core';
import { failure, keelWith, user } from './helpers.js';

describe('no attempt starts with less than minAttemptMs left', () => {
  it('streams: a retry-after that would leave too little fails before the first token as rate_limited', async () => {
    const clock = createFakeClock();
    const provider = createScriptedProvider({
      clock,
      steps: [{ error: new KeelError('rate_limited', 'slow down', { status: 429, retryAfterMs: 850 }) }, { stream: ['late'] }],
    });
    const { keel } = keelWith(provider, { timeouts: { totalMs: 1_000 } }, { clock });
    const error = await failure(keel.stream({ feature: 'f', messages: user() }).text());
    expect(error).toMatchObject({ kind: 'rate_limited', retryAfterMs: 850, retryable: false });
    expect(provider.calls).toHaveLength(1);
    keel.close();
  });

  it('a rate-limit wait is taken only when it leaves minAttemptMs; otherwise rate_limited and nothing is sent', async () => {
    for (const [totalMs, sent] of [
      [60_100, false],
      [60_300, true],
    ] as const) {
      const clock = createFakeClock();
      const provider = createScriptedProvider({ clock });
      const { keel } = keelWith(provider, { rateLimits: [{ scope: 'feature', requestsPerMinute: 1 }], timeouts: { totalMs } }, { clock });
      await keel.chat({ feature: 'f', messages: user() });
      const second = keel.chat({ feature: 'f', messages: user() });
      if (sent) {
        await expect(second).resolves.toMatchObject({ text: expect.any(String) });
        expect(clock.sleeps).toEqual([60_000]);
      } else {
        await expect(second).rejects.toMatchObject({ kind: 'rate_limited', retryAfterMs: 60_000 });
        expect(clock.sleeps).toEqual([]);
      }
      expect(provider.calls).toHaveLength(sent ? 2 : 1);
      keel.close();
    }
  });

  it('time lost before the first attempt (a slow budget store) leaves too little: timeout, nothing sent', async () => {
    const clock = createFakeClock();
    const memory = createInMemoryBudgetStore({ clock });
    // A real store behind a slow network hop, on virtual time.
    const slowStore: BudgetStore = {
      ...memory,
      reserve: async (request) => {
        await clock.sleep(900);
        return memory.reserve(request);
      },
    };
    const provider = createScriptedProvider({ clock });
    const keel = createKeel({
      providers: [provider],
      features: {
        f: {
          models: [{ provider: 'scripted', model: 'm' }],
          maxTokens: 10,
          budget: { limits: [{ scope: 'feature', unit: 'tokens', limit: 10_000, window: 'day' }] },
          timeouts: { totalMs: 1_000 },
        },
      },
      budgetStore: slowStore,
      clock,
    });
    const error = await failure(keel.chat({ feature: 'f', messages: user() }));
    expect(error).toMatchObject({ kind: 'timeout', retryable: false, attempts: [] });
    expect(error.message).toMatch(/no attempt started/);
    expect(provider.calls).toHaveLength(0);
    keel.close();
  });
});
