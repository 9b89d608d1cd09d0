import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  compileRateLimits,
  createInMemoryRateLimitStore,
  featureRateLimitsSchema,
  tokenRefund,
  type RateLimitLine,
} from '../../src/rate-limits/index.js';
import { fcSeed } from './support.js';

const line = (key: string, limit: number, amount: number): RateLimitLine => ({ key, limit, amount });

describe('in-memory RateLimitStore (GCRA)', () => {
  it('admits a full minute of requests at once, then one per interval, with an exact retryAfterMs', async () => {
    const store = createInMemoryRateLimitStore();
    for (let i = 0; i < 60; i++) expect(await store.take({ lines: [line('rpm', 60, 1)], now: 0 })).toEqual({ ok: true });
    expect(await store.take({ lines: [line('rpm', 60, 1)], now: 0 })).toEqual({ ok: false, line: 0, key: 'rpm', limit: 60, retryAfterMs: 1_000 });
    expect(await store.take({ lines: [line('rpm', 60, 1)], now: 999 })).toMatchObject({ ok: false, retryAfterMs: 1 });
    expect(await store.take({ lines: [line('rpm', 60, 1)], now: 1_000 })).toEqual({ ok: true });
  });

  it('waits exactly as long as the missing tokens take to refill', async () => {
    const store = createInMemoryRateLimitStore();
    expect((await store.take({ lines: [line('tpm', 1_000, 600)], now: 0 })).ok).toBe(true);
    // 200 tokens short at 1000 per minute: 12 s.
    expect(await store.take({ lines: [line('tpm', 1_000, 600)], now: 0 })).toMatchObject({ ok: false, retryAfterMs: 12_000 });
    expect((await store.take({ lines: [line('tpm', 1_000, 600)], now: 12_000 })).ok).toBe(true);
  });

  it('never admits more than the limit in one go, and says so with no retryAfterMs', async () => {
    const store = createInMemoryRateLimitStore();
    expect(await store.take({ lines: [line('ok', 10, 1), line('tpm', 1_000, 1_001)], now: 0 })).toEqual({
      ok: false,
      line: 1,
      key: 'tpm',
      limit: 1_000,
      retryAfterMs: undefined,
    });
  });

  it('is all-or-nothing across lines, and reports the longest wait', async () => {
    const store = createInMemoryRateLimitStore();
    await store.take({ lines: [line('b', 10, 10), line('c', 10, 5)], now: 0 });
    const refused = await store.take({ lines: [line('a', 10, 10), line('c', 10, 6), line('b', 10, 2)], now: 0 });
    expect(refused).toEqual({ ok: false, line: 2, key: 'b', limit: 10, retryAfterMs: 12_000 });
    // `a` was not charged by the refused take: its whole bucket is still there.
    expect((await store.take({ lines: [line('a', 10, 10)], now: 0 })).ok).toBe(true);
  });

  it('keeps keys independent', async () => {
    const store = createInMemoryRateLimitStore();
    expect((await store.take({ lines: [line('u1', 1, 1)], now: 0 })).ok).toBe(true);
    expect((await store.take({ lines: [line('u1', 1, 1)], now: 0 })).ok).toBe(false);
    expect((await store.take({ lines: [line('u2', 1, 1)], now: 0 })).ok).toBe(true);
  });

  it('copes with intervals that are not whole milliseconds', async () => {
    const store = createInMemoryRateLimitStore();
    for (let i = 0; i < 7; i++) expect((await store.take({ lines: [line('k', 7, 1)], now: 0 })).ok).toBe(true);
    expect(await store.take({ lines: [line('k', 7, 1)], now: 0 })).toMatchObject({ ok: false, retryAfterMs: 8_572 });
    expect((await store.take({ lines: [line('k', 7, 1)], now: 8_572 })).ok).toBe(true);
  });

  it('refunds unused tokens, never past a full bucket', async () => {
    const store = createInMemoryRateLimitStore();
    await store.take({ lines: [line('tpm', 1_000, 1_000)], now: 0 });
    await store.refund({ lines: [line('tpm', 1_000, 400)], now: 0 });
    expect((await store.take({ lines: [line('tpm', 1_000, 400)], now: 0 })).ok).toBe(true);
    expect((await store.take({ lines: [line('tpm', 1_000, 1)], now: 0 })).ok).toBe(false);
    await store.refund({ lines: [line('tpm', 1_000, 1_000_000)], now: 0 });
    expect((await store.take({ lines: [line('tpm', 1_000, 1_000)], now: 0 })).ok).toBe(true);
    expect((await store.take({ lines: [line('tpm', 1_000, 1)], now: 0 })).ok).toBe(false);
  });

  it('honours windowMs and the clock', async () => {
    let now = 0;
    const store = createInMemoryRateLimitStore({ clock: { now: () => now } });
    expect((await store.take({ lines: [line('k', 2, 2)], windowMs: 1_000 })).ok).toBe(true);
    expect(await store.take({ lines: [line('k', 2, 1)], windowMs: 1_000 })).toMatchObject({ retryAfterMs: 500 });
    now = 500;
    expect((await store.take({ lines: [line('k', 2, 1)], windowMs: 1_000 })).ok).toBe(true);
    await expect(store.take({ lines: [line('k', 0, 1)] })).rejects.toThrow(RangeError);
    await expect(store.take({ lines: [line('k', 1, 1), line('k', 1, 1)] })).rejects.toThrow(/share the key/);
  });

  it('forgets full buckets, so memory follows active keys only', async () => {
    const store = createInMemoryRateLimitStore();
    for (let i = 0; i < 1_000; i++) await store.take({ lines: [line(`user-${i}`, 60, 1)], now: 0 });
    expect(store.size()).toBe(1_000);
    for (let i = 0; i < 300; i++) await store.take({ lines: [], now: 60_000 });
    expect(store.size()).toBe(0);
  });

  it('retryAfterMs is exact: refused one ms earlier, admitted at it (fast-check)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 10_000 }),
        fc.integer({ min: 1, max: 120_000 }),
        fc.array(fc.record({ gap: fc.integer({ min: 0, max: 5_000 }), fraction: fc.double({ min: 0, max: 1, noNaN: true }) }), { minLength: 1, maxLength: 30 }),
        async (limit, windowMs, takes) => {
          const store = createInMemoryRateLimitStore();
          let now = 1_000_000;
          for (const { gap, fraction } of takes) {
            now += gap;
            const amount = Math.max(1, Math.floor(limit * fraction));
            const lines = [line('k', limit, amount)];
            const result = await store.take({ lines, now, windowMs });
            if (result.ok) continue;
            const wait = result.retryAfterMs!;
            expect(wait).toBeGreaterThanOrEqual(1);
            if (wait > 1) expect((await store.take({ lines, now: now + wait - 1, windowMs })).ok).toBe(false);
            now += wait;
            expect((await store.take({ lines, now, windowMs })).ok).toBe(true);
          }
        },
      ),
      { numRuns: 1_000, seed: fcSeed('rate limits'), verbose: true },
    );
  });
});

describe('rate-limit configuration', () => {
  it('validates scopes and needs at least one rate', () => {
    const parsed = featureRateLimitsSchema.safeParse([{ scope: 'team', tokensPerMinute: 5 }, { scope: 'user' }, { scope: 'feature', requestsPerMinute: -1 }]);
    expect(parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`)).toEqual([
      '0.scope: unknown scope "team": use "feature", "user" (feature × user), "tenant" (feature × tenant) or "global"',
      '1: set tokensPerMinute, requestsPerMinute or both',
      '2.requestsPerMinute: requestsPerMinute must be > 0',
    ]);
    expect(featureRateLimitsSchema.safeParse([{ scope: 'user', tokensPerMinute: 5 }, { scope: 'user', requestsPerMinute: 5 }]).success).toBe(false);
  });

  it('compiles a feature’s limits into the lines of one call, and the refund after it', () => {
    const limits = featureRateLimitsSchema.parse([
      { scope: 'feature', tokensPerMinute: 100_000, requestsPerMinute: 600 },
      { scope: 'user', requestsPerMinute: 10 },
      { scope: 'tenant', tokensPerMinute: 20_000 },
    ]);
    const compiled = compileRateLimits('chat', limits);
    const lines = compiled.lines({ user: 'alice' }, 1_500);
    expect(lines).toEqual([
      { key: 'rate:f=chat:requests', limit: 600, amount: 1, unit: 'requests' },
      { key: 'rate:f=chat:tokens', limit: 100_000, amount: 1_500, unit: 'tokens' },
      { key: 'rate:f=chat/u=alice:requests', limit: 10, amount: 1, unit: 'requests' },
    ]);
    expect(tokenRefund(lines, 400)).toEqual([{ key: 'rate:f=chat:tokens', limit: 100_000, amount: 1_100, unit: 'tokens' }]);
  });
});
