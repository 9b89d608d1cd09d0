import { describe, expect, it } from 'vitest';
import type { ReserveLine } from '@keel/core';
import { storeKinds } from './stores.js';
import { request, tick, tokens } from './support.js';

const MINUTE = 60_000;

/**
 * The BudgetStore contract, run against the in-memory reference and the Redis store alike
 * (ported from packages/core/test/budgets/memory-store.test.ts, minus the memory-only stats).
 */
describe.each(storeKinds())('BudgetStore conformance: $name', (kind) => {
  describe('reserve and settle', () => {
    it('holds base + output on reserve, commits the actual on settle, frees the rest', async () => {
      const store = kind.budget();
      const line = tokens('k', 1_000, 'day', 100);
      const result = await store.reserve(request([line], 200, 0));
      expect(result).toMatchObject({ ok: true, outputTokens: 200, expiresAt: 60_000, remaining: [{ key: 'k', remaining: 700 }] });
      expect(await store.usage([line], 0)).toEqual([{ key: 'k', unit: 'tokens', limit: 1_000, committed: 0, held: 300, remaining: 700, resetAt: 86_400_000 }]);
      expect(result.ok && (await store.settle(result.id, [150], 1))).toBe(true);
      expect(await store.usage([line], 1)).toMatchObject([{ committed: 150, held: 0, remaining: 850 }]);
    });

    it('settles exactly once: a second settle or a release is a no-op returning false', async () => {
      const store = kind.budget();
      const line = tokens('k', 1_000);
      const r = await store.reserve(request([line], 100, 0));
      if (!r.ok) throw new Error('refused');
      expect(await store.settle(r.id, [80], 1)).toBe(true);
      expect(await store.settle(r.id, [80], 2)).toBe(false);
      expect(await store.release(r.id, 3)).toBe(false);
      expect(await store.settle('never-reserved', [1], 3)).toBe(false);
      expect(await store.usage([line], 4)).toMatchObject([{ committed: 80, held: 0 }]);
    });

    it('refuses with the most binding line, what it needs, what is left and when it resets', async () => {
      const store = kind.budget();
      const day = tokens('day', 1_000, 'day', 100);
      const minute: ReserveLine = { ...tokens('minute', 500, 'minute', 100), scope: 'user' };
      const first = await store.reserve(request([day, minute], 300, 1_000));
      expect(first.ok).toBe(true);
      const second = await store.reserve(request([day, minute], 300, 2_000));
      expect(second).toEqual({ ok: false, line: 1, key: 'minute', scope: 'user', unit: 'tokens', limit: 500, remaining: 100, needed: 400, resetAt: MINUTE });
    });

    it('is all-or-nothing across lines: a refusal on one line charges no other', async () => {
      const store = kind.budget();
      const roomy = tokens('roomy', 10_000);
      const tight = tokens('tight', 50);
      expect((await store.reserve(request([roomy, tight], 100, 0))).ok).toBe(false);
      expect(await store.usage([roomy, tight], 0)).toMatchObject([{ held: 0, committed: 0 }, { held: 0, committed: 0 }]);
      expect((await store.reserve(request([roomy, tight], 40, 0))).ok).toBe(true);
      expect(await store.usage([roomy, tight], 0)).toMatchObject([{ held: 40 }, { held: 40 }]);
    });

    it('clamps: grants the largest output that fits every line, and refuses below the minimum', async () => {
      const store = kind.budget();
      const a = tokens('a', 1_000, 'day', 50);
      const b = tokens('b', 800, 'day', 50);
      const used = await store.reserve(request([a, b], 500, 0)); // holds 550 on each
      expect(used.ok).toBe(true);
      const clamped = await store.reserve(request([a, b], [10, 400], 1));
      // a has 450 left → 400 fits; b has 250 left → 200 fits: the grant is the smaller.
      expect(clamped).toMatchObject({ ok: true, outputTokens: 200, remaining: [{ key: 'a', remaining: 200 }, { key: 'b', remaining: 0 }] });
      const refused = await store.reserve(request([a, b], [1, 400], 2));
      expect(refused).toMatchObject({ ok: false, key: 'b', remaining: 0, needed: 51 });
    });

    it('grants in USD without overshooting through rounding', async () => {
      const store = kind.budget();
      const usd: ReserveLine = { key: 'usd', scope: 'feature', unit: 'usd', limit: 0.01, window: 'month', base: 0.00123, perOutputToken: 0.00001 };
      const r = await store.reserve(request([usd], [1, 10_000], 0));
      expect(r).toMatchObject({ ok: true, outputTokens: 877 });
      const [u] = await store.usage([usd], 0);
      expect(u!.held).toBeLessThanOrEqual(0.01);
    });
  });

  describe('windows', () => {
    it('rolls a calendar window over: a full minute refuses until its end, then admits', async () => {
      const store = kind.budget();
      const line = tokens('m', 100, 'minute');
      const r = await store.reserve(request([line], 100, 5_000));
      if (!r.ok) throw new Error('refused');
      await store.settle(r.id, [100], 6_000);
      expect(await store.reserve(request([line], 1, 59_999))).toMatchObject({ ok: false, remaining: 0, resetAt: MINUTE });
      expect(await store.reserve(request([line], 100, MINUTE))).toMatchObject({ ok: true, outputTokens: 100 });
    });

    it('rolls a month window at the UTC month boundary', async () => {
      const store = kind.budget();
      const line: ReserveLine = { ...tokens('mo', 10, 'month'), unit: 'usd', base: 10, perOutputToken: 0 };
      const jan31 = Date.parse('2025-01-31T23:59:00Z');
      const feb1 = Date.parse('2025-02-01T00:00:00Z');
      const r = await store.reserve(request([line], 0, jan31));
      if (!r.ok) throw new Error('refused');
      await store.settle(r.id, [10], jan31);
      expect(await store.reserve(request([line], 0, jan31 + 1))).toMatchObject({ ok: false, resetAt: feb1 });
      expect((await store.reserve(request([line], 0, feb1))).ok).toBe(true);
    });

    it('a hold made before a rollover carries into the new window and settles there, never nowhere', async () => {
      const store = kind.budget();
      const line = tokens('m', 100, 'minute');
      const old = await store.reserve(request([line], 100, 59_000, 10 * MINUTE));
      if (!old.ok) throw new Error('refused');
      // Still in flight after the boundary: it counts against the new window too.
      expect(await store.usage([line], MINUTE + 1)).toMatchObject([{ committed: 0, held: 100 }]);
      expect(await store.reserve(request([line], 1, MINUTE + 1))).toMatchObject({ ok: false });
      expect(await store.settle(old.id, [60], MINUTE + 2)).toBe(true);
      expect(await store.usage([line], MINUTE + 3)).toMatchObject([{ committed: 60, held: 0, remaining: 40 }]);
      // The next window starts clean.
      expect(await store.usage([line], 2 * MINUTE)).toMatchObject([{ committed: 0, held: 0 }]);
    });

    it('a settle after the boundary lands in the new window even when nothing touched the key since', async () => {
      const store = kind.budget();
      const line = tokens('d', 1_000, 'day');
      const day = 86_400_000;
      const r = await store.reserve(request([line], 100, day - 1, day));
      if (!r.ok) throw new Error('refused');
      expect(await store.settle(r.id, [80], day + 5)).toBe(true);
      expect(await store.usage([line], day + 6)).toMatchObject([{ committed: 80, held: 0 }]);
    });

    it('keeps a ledger whose window ended while a hold is live, so the settle still lands', async () => {
      const store = kind.budget();
      const line = tokens('k', 100, 'minute');
      const r = await store.reserve(request([line], 50, 0, 10 * MINUTE));
      if (!r.ok) throw new Error('refused');
      // Many operations after the window (and its grace) ended: the sweep must not drop the key.
      for (let i = 0; i < 50; i++) await store.usage([tokens(`other${i}`, 10, 'minute')], 3 * MINUTE);
      expect(await store.settle(r.id, [50], 3 * MINUTE + 1)).toBe(true);
      expect(await store.usage([line], 3 * MINUTE + 2)).toMatchObject([{ committed: 50 }]);
    });

    it('frees a sliding window as settled spend ages out, and says when', async () => {
      const store = kind.budget();
      const line = tokens('s', 100, { sliding: MINUTE });
      for (const [at, amount] of [
        [0, 60],
        [10_000, 40],
      ] as const) {
        const r = await store.reserve(request([line], amount, at));
        if (!r.ok) throw new Error('refused');
        await store.settle(r.id, [amount], at);
      }
      expect(await store.reserve(request([line], 30, 20_000))).toMatchObject({ ok: false, remaining: 0, needed: 30, resetAt: MINUTE });
      expect(await store.reserve(request([line], 70, 20_000))).toMatchObject({ ok: false, resetAt: 70_000 });
      expect(await store.reserve(request([line], 101, 20_000))).toMatchObject({ ok: false, resetAt: undefined });
      expect(await store.reserve(request([line], 60, 59_999))).toMatchObject({ ok: false });
      expect(await store.reserve(request([line], 60, MINUTE))).toMatchObject({ ok: true });
      expect(await store.usage([line], MINUTE)).toMatchObject([{ committed: 40, held: 60, resetAt: 70_000 }]);
    });

    it('never ages a sliding hold out: a call longer than the window keeps counting until it settles', async () => {
      const store = kind.budget();
      const line = tokens('s', 100, { sliding: 1_000 });
      const r = await store.reserve(request([line], 100, 0, 60_000));
      expect(r.ok).toBe(true);
      expect(await store.reserve(request([line], 1, 5_000))).toMatchObject({ ok: false, resetAt: undefined });
      await store.settle(r.ok ? r.id : '', [100], 5_000);
      expect(await store.reserve(request([line], 1, 5_999))).toMatchObject({ ok: false, resetAt: 6_000 });
      expect((await store.reserve(request([line], 1, 6_000))).ok).toBe(true);
    });
  });

  describe('expiry', () => {
    it('releases a vanished caller’s hold after ttlMs, lazily, on the next operation', async () => {
      const store = kind.budget();
      const line = tokens('k', 100);
      const r = await store.reserve(request([line], 100, 0, 1_000));
      expect(await store.usage([line], 999)).toMatchObject([{ held: 100 }]);
      expect(await store.usage([line], 1_000)).toMatchObject([{ held: 0, committed: 0 }]);
      // A late settle is a no-op: the pipeline must pick a ttl above its deadline.
      expect(await store.settle(r.ok ? r.id : '', [100], 1_001)).toBe(false);
      expect((await store.reserve(request([line], 100, 1_001))).ok).toBe(true);
    });

    it('keeps what a stream recorded before its caller vanished, input included', async () => {
      const store = kind.budget();
      const line = tokens('k', 1_000, 'day', 50);
      const r = await store.reserve(request([line], 400, 0, 1_000));
      if (!r.ok) throw new Error('refused');
      await store.charge(r.id, 120, 10);
      await store.charge(r.id, 30, 20);
      expect(await store.usage([line], 5_000)).toMatchObject([{ committed: 200, held: 0 }]);
    });

    it('release commits nothing for a call that never streamed, and the recorded output for one that did', async () => {
      const store = kind.budget();
      const line = tokens('k', 1_000, 'day', 50);
      const quiet = await store.reserve(request([line], 100, 0));
      const streamed = await store.reserve(request([line], 100, 0));
      if (!quiet.ok || !streamed.ok) throw new Error('refused');
      await store.charge(streamed.id, 10, 1);
      expect(await store.release(quiet.id, 2)).toBe(true);
      expect(await store.release(streamed.id, 2)).toBe(true);
      expect(await store.usage([line], 3)).toMatchObject([{ committed: 60, held: 0 }]);
    });
  });

  describe('charging a stream', () => {
    it('stays ok within the grant, extends when there is room, and says exhausted when not', async () => {
      const store = kind.budget();
      const line = tokens('k', 300, 'day', 100);
      const r = await store.reserve(request([line], 100, 0));
      if (!r.ok) throw new Error('refused');
      expect(await store.charge(r.id, 60, 1)).toEqual({ ok: true, outputTokens: 60, grantedOutputTokens: 100 });
      expect(await store.charge(r.id, 40, 2)).toEqual({ ok: true, outputTokens: 100, grantedOutputTokens: 100 });
      // Outgrows the grant: 50 more fit under the limit of 300.
      expect(await store.charge(r.id, 50, 3)).toEqual({ ok: true, outputTokens: 150, grantedOutputTokens: 150 });
      expect(await store.usage([line], 3)).toMatchObject([{ held: 250 }]);
      const cut = await store.charge(r.id, 60, 4);
      expect(cut).toMatchObject({ ok: false, reason: 'exhausted', outputTokens: 150, grantedOutputTokens: 150, refusal: { key: 'k', remaining: 50, needed: 60 } });
      expect(await store.release(r.id, 5)).toBe(true);
      expect(await store.usage([line], 5)).toMatchObject([{ committed: 250, held: 0 }]);
      expect(await store.charge(r.id, 1, 6)).toEqual({ ok: false, reason: 'not_found' });
    });
  });

  describe('over-report and misuse', () => {
    it('commits a provider’s over-report as it is; the key then refuses until it resets', async () => {
      const store = kind.budget();
      const line = tokens('k', 100, 'minute');
      const r = await store.reserve(request([line], 50, 0));
      if (!r.ok) throw new Error('refused');
      expect(await store.settle(r.id, [130], 1)).toBe(true);
      expect(await store.usage([line], 1)).toMatchObject([{ committed: 130, remaining: 0 }]);
      expect((await store.reserve(request([line], 1, 2))).ok).toBe(false);
      expect((await store.reserve(request([line], 1, MINUTE))).ok).toBe(true);
    });

    it('rejects malformed requests without touching any counter', async () => {
      const store = kind.budget();
      const line = tokens('k', 100);
      await expect(store.reserve(request([line], [5, 2], 0))).rejects.toThrow(RangeError);
      await expect(store.reserve(request([line, line], 1, 0))).rejects.toThrow(/share the key/);
      await expect(store.reserve(request([{ ...line, base: -1 }], 1, 0))).rejects.toThrow(RangeError);
      await expect(store.reserve({ ...request([line], 1, 0), ttlMs: 0 })).rejects.toThrow(RangeError);
      const r = await store.reserve(request([line], 10, 0));
      if (!r.ok) throw new Error('refused');
      await expect(store.reserve({ ...request([line], 1, 0), id: r.id })).rejects.toThrow(/already live/);
      await expect(store.settle(r.id, [1, 2], 0)).rejects.toThrow(/one per line/);
      await expect(store.settle(r.id, [Number.NaN], 0)).rejects.toThrow(RangeError);
      await expect(store.charge(r.id, -1, 0)).rejects.toThrow(RangeError);
      await expect(store.reserve(request([{ ...line, window: 'hour' }], 1, 0))).rejects.toThrow(/another window/);
      expect(await store.settle(r.id, [10], 0)).toBe(true);
    });
  });

  describe('concurrency', () => {
    it('500 concurrent calls against N tokens commit at most N, each settled exactly once', async () => {
      const N = 5_000;
      const store = kind.budget();
      const feature = tokens('feature', N, 'day');
      const perUser = (u: number): ReserveLine => ({ ...tokens(`user-${u % 10}`, 1_000, 'day'), scope: 'user' });
      const settled: number[] = [];
      let refusals = 0;
      await Promise.all(
        Array.from({ length: 500 }, async (_, i) => {
          const lines = [{ ...feature, base: i % 17 }, { ...perUser(i), base: i % 17 }];
          await tick();
          const r = await store.reserve({ id: `call-${i}`, lines, minOutputTokens: 1, maxOutputTokens: 40, ttlMs: 60_000, now: 0 });
          if (!r.ok) {
            refusals++;
            return;
          }
          await tick();
          const actual = lines[0]!.base + Math.floor(r.outputTokens * ((i % 5) / 4));
          expect(await store.settle(r.id, [actual, actual], 1)).toBe(true);
          settled.push(actual);
          expect(await store.settle(r.id, [actual, actual], 2)).toBe(false);
        }),
      );
      const [total, ...users] = await store.usage([feature, ...Array.from({ length: 10 }, (_, u) => perUser(u))], 3);
      expect(total!.committed).toBe(settled.reduce((a, b) => a + b, 0));
      expect(total!.committed).toBeLessThanOrEqual(N);
      expect(total!.held).toBe(0);
      for (const user of users) expect(user.committed + user.held).toBeLessThanOrEqual(1_000);
      expect(settled.length + refusals).toBe(500);
      expect(refusals).toBeGreaterThan(0);
    });

    it('clamped grants fill the limit exactly and never past it', async () => {
      const N = 2_003;
      const store = kind.budget();
      const line = tokens('k', N, 'day');
      const grants = await Promise.all(
        Array.from({ length: 400 }, async (_, i) => {
          await tick();
          const r = await store.reserve({ id: `c${i}`, lines: [line], minOutputTokens: 1, maxOutputTokens: 10, ttlMs: 1_000, now: 0 });
          return r.ok ? r.outputTokens : 0;
        }),
      );
      expect(grants.reduce((a, b) => a + b, 0)).toBe(N);
      expect(await store.usage([line], 0)).toMatchObject([{ held: N, remaining: 0 }]);
    });
  });
});
