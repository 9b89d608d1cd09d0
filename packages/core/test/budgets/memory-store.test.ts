import { describe, expect, it } from 'vitest';
import { createInMemoryBudgetStore, type InMemoryBudgetStore, type ReserveLine } from '../../src/budgets/index.js';
import { request, tokens } from './support.js';

const MINUTE = 60_000;

describe('in-memory BudgetStore: reserve and settle', () => {
  it('holds base + output on reserve, commits the actual on settle, frees the rest', async () => {
    const store = createInMemoryBudgetStore();
    const line = tokens('k', 1_000, 'day', 100);
    const result = await store.reserve(request([line], 200, 0));
    expect(result).toMatchObject({ ok: true, outputTokens: 200, expiresAt: 60_000, remaining: [{ key: 'k', remaining: 700 }] });
    expect(await store.usage([line], 0)).toEqual([{ key: 'k', unit: 'tokens', limit: 1_000, committed: 0, held: 300, remaining: 700, resetAt: 86_400_000 }]);
    expect(result.ok && (await store.settle(result.id, [150], 1))).toBe(true);
    expect(await store.usage([line], 1)).toMatchObject([{ committed: 150, held: 0, remaining: 850 }]);
  });

  it('settles exactly once: a second settle or a release is a no-op returning false', async () => {
    const store = createInMemoryBudgetStore();
    const line = tokens('k', 1_000);
    const r = await store.reserve(request([line], 100, 0));
    if (!r.ok) throw new Error('refused');
    expect(await store.settle(r.id, [80], 1)).toBe(true);
    expect(await store.settle(r.id, [80], 2)).toBe(false);
    expect(await store.release(r.id, 3)).toBe(false);
    expect(await store.settle('never-reserved', [1], 3)).toBe(false);
    expect(await store.usage([line], 4)).toMatchObject([{ committed: 80, held: 0 }]);
    expect(store.stats()).toMatchObject({ settled: 1, notLive: 3, live: 0 });
  });

  it('refuses with the most binding line, what it needs, what is left and when it resets', async () => {
    const store = createInMemoryBudgetStore();
    const day = tokens('day', 1_000, 'day', 100);
    const minute: ReserveLine = { ...tokens('minute', 500, 'minute', 100), scope: 'user' };
    const first = await store.reserve(request([day, minute], 300, 1_000));
    expect(first.ok).toBe(true);
    const second = await store.reserve(request([day, minute], 300, 2_000));
    expect(second).toEqual({ ok: false, line: 1, key: 'minute', scope: 'user', unit: 'tokens', limit: 500, remaining: 100, needed: 400, resetAt: MINUTE });
  });

  it('is all-or-nothing across lines: a refusal on one line charges no other', async () => {
    const store = createInMemoryBudgetStore();
    const roomy = tokens('roomy', 10_000);
    const tight = tokens('tight', 50);
    expect((await store.reserve(request([roomy, tight], 100, 0))).ok).toBe(false);
    expect(await store.usage([roomy, tight], 0)).toMatchObject([{ held: 0, committed: 0 }, { held: 0, committed: 0 }]);
    expect((await store.reserve(request([roomy, tight], 40, 0))).ok).toBe(true);
    expect(await store.usage([roomy, tight], 0)).toMatchObject([{ held: 40 }, { held: 40 }]);
  });

  it('clamps: grants the largest output that fits every line, and refuses below the minimum', async () => {
    const store = createInMemoryBudgetStore();
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
    const store = createInMemoryBudgetStore();
    const usd: ReserveLine = { key: 'usd', scope: 'feature', unit: 'usd', limit: 0.01, window: 'month', base: 0.00123, perOutputToken: 0.00001 };
    const r = await store.reserve(request([usd], [1, 10_000], 0));
    expect(r).toMatchObject({ ok: true, outputTokens: 877 });
    const [u] = await store.usage([usd], 0);
    expect(u!.held).toBeLessThanOrEqual(0.01);
  });
});

describe('in-memory BudgetStore: windows', () => {
  it('rolls a calendar window over: a full minute refuses until its end, then admits', async () => {
    const store = createInMemoryBudgetStore();
    const line = tokens('m', 100, 'minute');
    const r = await store.reserve(request([line], 100, 5_000));
    if (!r.ok) throw new Error('refused');
    await store.settle(r.id, [100], 6_000);
    expect(await store.reserve(request([line], 1, 59_999))).toMatchObject({ ok: false, remaining: 0, resetAt: MINUTE });
    expect(await store.reserve(request([line], 100, MINUTE))).toMatchObject({ ok: true, outputTokens: 100 });
  });

  it('rolls a month window at the UTC month boundary', async () => {
    const store = createInMemoryBudgetStore();
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
    const store = createInMemoryBudgetStore();
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
    const store = createInMemoryBudgetStore();
    const line = tokens('d', 1_000, 'day');
    const day = 86_400_000;
    const r = await store.reserve(request([line], 100, day - 1, day));
    if (!r.ok) throw new Error('refused');
    expect(await store.settle(r.id, [80], day + 5)).toBe(true);
    expect(await store.usage([line], day + 6)).toMatchObject([{ committed: 80, held: 0 }]);
  });

  it('keeps a ledger whose window ended while a hold is live, so the settle still lands', async () => {
    const store = createInMemoryBudgetStore();
    const line = tokens('k', 100, 'minute');
    const r = await store.reserve(request([line], 50, 0, 10 * MINUTE));
    if (!r.ok) throw new Error('refused');
    // Many operations after the window (and its grace) ended: the sweep must not drop the key.
    for (let i = 0; i < 50; i++) await store.usage([tokens(`other${i}`, 10, 'minute')], 3 * MINUTE);
    expect(await store.settle(r.id, [50], 3 * MINUTE + 1)).toBe(true);
    expect(await store.usage([line], 3 * MINUTE + 2)).toMatchObject([{ committed: 50 }]);
  });

  it('frees a sliding window as settled spend ages out, and says when', async () => {
    const store = createInMemoryBudgetStore();
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
    const store = createInMemoryBudgetStore();
    const line = tokens('s', 100, { sliding: 1_000 });
    const r = await store.reserve(request([line], 100, 0, 60_000));
    expect(r.ok).toBe(true);
    expect(await store.reserve(request([line], 1, 5_000))).toMatchObject({ ok: false, resetAt: undefined });
    await store.settle(r.ok ? r.id : '', [100], 5_000);
    expect(await store.reserve(request([line], 1, 5_999))).toMatchObject({ ok: false, resetAt: 6_000 });
    expect((await store.reserve(request([line], 1, 6_000))).ok).toBe(true);
  });
});

describe('in-memory BudgetStore: expiry', () => {
  it('releases a vanished caller’s hold after ttlMs, lazily, on the next operation', async () => {
    const store = createInMemoryBudgetStore();
    const line = tokens('k', 100);
    const r = await store.reserve(request([line], 100, 0, 1_000));
    expect(await store.usage([line], 999)).toMatchObject([{ held: 100 }]);
    expect(await store.usage([line], 1_000)).toMatchObject([{ held: 0, committed: 0 }]);
    expect(store.stats()).toMatchObject({ expired: 1, live: 0 });
    // A late settle is a no-op: the pipeline must pick a ttl above its deadline.
    expect(await store.settle(r.ok ? r.id : '', [100], 1_001)).toBe(false);
    expect((await store.reserve(request([line], 100, 1_001))).ok).toBe(true);
  });

  it('keeps what a stream recorded before its caller vanished, input included', async () => {
    const store = createInMemoryBudgetStore();
    const line = tokens('k', 1_000, 'day', 50);
    const r = await store.reserve(request([line], 400, 0, 1_000));
    if (!r.ok) throw new Error('refused');
    await store.charge(r.id, 120, 10);
    await store.charge(r.id, 30, 20);
    expect(await store.usage([line], 5_000)).toMatchObject([{ committed: 200, held: 0 }]);
  });

  it('release commits nothing for a call that never streamed, and the recorded output for one that did', async () => {
    const store = createInMemoryBudgetStore();
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

describe('in-memory BudgetStore: charging a stream', () => {
  // chargeNow is charge answered in the caller's turn: the same ledger, the same answers.
  it.each([
    ['charge', (store: InMemoryBudgetStore) => store.charge],
    ['chargeNow', (store: InMemoryBudgetStore) => store.chargeNow],
  ] as const)('%s stays ok within the grant, extends when there is room, and says exhausted when not', async (_, method) => {
    const store = createInMemoryBudgetStore();
    const charge = method(store);
    const line = tokens('k', 300, 'day', 100);
    const r = await store.reserve(request([line], 100, 0));
    if (!r.ok) throw new Error('refused');
    expect(await charge(r.id, 60, 1)).toEqual({ ok: true, outputTokens: 60, grantedOutputTokens: 100 });
    expect(await charge(r.id, 40, 2)).toEqual({ ok: true, outputTokens: 100, grantedOutputTokens: 100 });
    // Outgrows the grant: 50 more fit under the limit of 300.
    expect(await charge(r.id, 50, 3)).toEqual({ ok: true, outputTokens: 150, grantedOutputTokens: 150 });
    expect(await store.usage([line], 3)).toMatchObject([{ held: 250 }]);
    const cut = await charge(r.id, 60, 4);
    expect(cut).toMatchObject({ ok: false, reason: 'exhausted', outputTokens: 150, grantedOutputTokens: 150, refusal: { key: 'k', remaining: 50, needed: 60 } });
    expect(await store.release(r.id, 5)).toBe(true);
    expect(await store.usage([line], 5)).toMatchObject([{ committed: 250, held: 0 }]);
    expect(await charge(r.id, 1, 6)).toEqual({ ok: false, reason: 'not_found' });
  });

  it('chargeNow answers in the same turn, and throws where charge rejects', async () => {
    const store = createInMemoryBudgetStore();
    const r = await store.reserve(request([tokens('k', 300, 'day', 100)], 100, 0));
    if (!r.ok) throw new Error('refused');
    expect(store.chargeNow(r.id, 10, 1)).toEqual({ ok: true, outputTokens: 10, grantedOutputTokens: 100 });
    expect(() => store.chargeNow(r.id, -1, 1)).toThrow(RangeError);
  });
});

describe('in-memory BudgetStore: over-report and misuse', () => {
  it('commits a provider’s over-report as it is; the key then refuses until it resets', async () => {
    const store = createInMemoryBudgetStore();
    const line = tokens('k', 100, 'minute');
    const r = await store.reserve(request([line], 50, 0));
    if (!r.ok) throw new Error('refused');
    expect(await store.settle(r.id, [130], 1)).toBe(true);
    expect(await store.usage([line], 1)).toMatchObject([{ committed: 130, remaining: 0 }]);
    expect(store.stats().overCommitted).toBe(1);
    expect((await store.reserve(request([line], 1, 2))).ok).toBe(false);
    expect((await store.reserve(request([line], 1, MINUTE))).ok).toBe(true);
  });

  it('rejects malformed requests without touching any counter', async () => {
    const store = createInMemoryBudgetStore();
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

  it('uses its clock when a call passes no time', async () => {
    let now = 0;
    const store = createInMemoryBudgetStore({ clock: { now: () => now } });
    const line = tokens('k', 100);
    await store.reserve({ id: 'a', lines: [line], minOutputTokens: 10, maxOutputTokens: 10, ttlMs: 1_000 });
    now = 1_000;
    expect(await store.usage([line])).toMatchObject([{ held: 0 }]);
  });
});

describe('in-memory BudgetStore: bounded memory', () => {
  it('forgets ended windows and emptied sliding windows, and finished reservations', async () => {
    const store = createInMemoryBudgetStore();
    for (let i = 0; i < 5_000; i++) {
      const lines = [tokens(`user-${i}`, 100, 'minute'), tokens(`sliding-${i}`, 100, { sliding: 1_000 })];
      const r = await store.reserve(request(lines, 10, i, 500));
      if (r.ok && i % 2 === 0) await store.settle(r.id, [10, 10], i);
      // Odd ones are abandoned and expire.
    }
    // Sliding windows that emptied were already swept along the way.
    expect(store.stats().keys).toBeGreaterThan(5_000);
    const probe = tokens('probe', 1);
    for (let t = 0; t < 5_000; t++) await store.usage([probe], 10 * MINUTE + t);
    expect(store.stats()).toMatchObject({ keys: 0, live: 0, expired: 2_500, settled: 2_500 });
  });
});
