import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { RateLimitLine } from '@keel/core';
import { storeKinds } from './stores.js';

const line = (key: string, limit: number, amount: number): RateLimitLine => ({ key, limit, amount });
const seed = process.env.FC_SEED ? Number(process.env.FC_SEED) : Math.floor(Math.random() * 2 ** 31);

/** The RateLimitStore contract (ported from packages/core/test/budgets/rate-limits.test.ts) on both stores. */
describe.each(storeKinds())('RateLimitStore conformance: $name', (kind) => {
  it('rejects malformed lines', async () => {
    const store = kind.rateLimit();
    await expect(store.take({ lines: [line('k', 0, 1)], now: 0 })).rejects.toThrow(RangeError);
    await expect(store.take({ lines: [line('k', 1, 1), line('k', 1, 1)], now: 0 })).rejects.toThrow(/share the key/);
  });

  it('honours windowMs', async () => {
    const store = kind.rateLimit();
    expect((await store.take({ lines: [line('k', 2, 2)], windowMs: 1_000, now: 0 })).ok).toBe(true);
    expect(await store.take({ lines: [line('k', 2, 1)], windowMs: 1_000, now: 0 })).toMatchObject({ retryAfterMs: 500 });
    expect((await store.take({ lines: [line('k', 2, 1)], windowMs: 1_000, now: 500 })).ok).toBe(true);
  });

    it('admits a full minute of requests at once, then one per interval, with an exact retryAfterMs', async () => {
      const store = kind.rateLimit();
      for (let i = 0; i < 60; i++) expect(await store.take({ lines: [line('rpm', 60, 1)], now: 0 })).toEqual({ ok: true });
      expect(await store.take({ lines: [line('rpm', 60, 1)], now: 0 })).toEqual({ ok: false, line: 0, key: 'rpm', limit: 60, retryAfterMs: 1_000 });
      expect(await store.take({ lines: [line('rpm', 60, 1)], now: 999 })).toMatchObject({ ok: false, retryAfterMs: 1 });
      expect(await store.take({ lines: [line('rpm', 60, 1)], now: 1_000 })).toEqual({ ok: true });
    });

    it('waits exactly as long as the missing tokens take to refill', async () => {
      const store = kind.rateLimit();
      expect((await store.take({ lines: [line('tpm', 1_000, 600)], now: 0 })).ok).toBe(true);
      // 200 tokens short at 1000 per minute: 12 s.
      expect(await store.take({ lines: [line('tpm', 1_000, 600)], now: 0 })).toMatchObject({ ok: false, retryAfterMs: 12_000 });
      expect((await store.take({ lines: [line('tpm', 1_000, 600)], now: 12_000 })).ok).toBe(true);
    });

    it('never admits more than the limit in one go, and says so with no retryAfterMs', async () => {
      const store = kind.rateLimit();
      expect(await store.take({ lines: [line('ok', 10, 1), line('tpm', 1_000, 1_001)], now: 0 })).toEqual({
        ok: false,
        line: 1,
        key: 'tpm',
        limit: 1_000,
        retryAfterMs: undefined,
      });
    });

    it('is all-or-nothing across lines, and reports the longest wait', async () => {
      const store = kind.rateLimit();
      await store.take({ lines: [line('b', 10, 10), line('c', 10, 5)], now: 0 });
      const refused = await store.take({ lines: [line('a', 10, 10), line('c', 10, 6), line('b', 10, 2)], now: 0 });
      expect(refused).toEqual({ ok: false, line: 2, key: 'b', limit: 10, retryAfterMs: 12_000 });
      // `a` was not charged by the refused take: its whole bucket is still there.
      expect((await store.take({ lines: [line('a', 10, 10)], now: 0 })).ok).toBe(true);
    });

    it('keeps keys independent', async () => {
      const store = kind.rateLimit();
      expect((await store.take({ lines: [line('u1', 1, 1)], now: 0 })).ok).toBe(true);
      expect((await store.take({ lines: [line('u1', 1, 1)], now: 0 })).ok).toBe(false);
      expect((await store.take({ lines: [line('u2', 1, 1)], now: 0 })).ok).toBe(true);
    });

    it('copes with intervals that are not whole milliseconds', async () => {
      const store = kind.rateLimit();
      for (let i = 0; i < 7; i++) expect((await store.take({ lines: [line('k', 7, 1)], now: 0 })).ok).toBe(true);
      expect(await store.take({ lines: [line('k', 7, 1)], now: 0 })).toMatchObject({ ok: false, retryAfterMs: 8_572 });
      expect((await store.take({ lines: [line('k', 7, 1)], now: 8_572 })).ok).toBe(true);
    });

    it('refunds unused tokens, never past a full bucket', async () => {
      const store = kind.rateLimit();
      await store.take({ lines: [line('tpm', 1_000, 1_000)], now: 0 });
      await store.refund({ lines: [line('tpm', 1_000, 400)], now: 0 });
      expect((await store.take({ lines: [line('tpm', 1_000, 400)], now: 0 })).ok).toBe(true);
      expect((await store.take({ lines: [line('tpm', 1_000, 1)], now: 0 })).ok).toBe(false);
      await store.refund({ lines: [line('tpm', 1_000, 1_000_000)], now: 0 });
      expect((await store.take({ lines: [line('tpm', 1_000, 1_000)], now: 0 })).ok).toBe(true);
      expect((await store.take({ lines: [line('tpm', 1_000, 1)], now: 0 })).ok).toBe(false);
    });

    it('retryAfterMs is exact: refused one ms earlier, admitted at it (fast-check)', async () => {
    console.log(`fast-check seed (rate-limit conformance, ${kind.name}): ${seed} — replay with FC_SEED=${seed}`);
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 1, max: 10_000 }),
          fc.integer({ min: 1, max: 120_000 }),
          fc.array(fc.record({ gap: fc.integer({ min: 0, max: 5_000 }), fraction: fc.double({ min: 0, max: 1, noNaN: true }) }), { minLength: 1, maxLength: 30 }),
          async (limit, windowMs, takes) => {
            const store = kind.rateLimit();
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
        { numRuns: 200, seed, verbose: true },
      );
    });
});
