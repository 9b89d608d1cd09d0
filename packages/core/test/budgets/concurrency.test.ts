import { describe, expect, it } from 'vitest';
import { createInMemoryBudgetStore, type ReserveLine } from '../../src/budgets/index.js';
import { tokens } from './support.js';

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('in-memory BudgetStore under concurrency', () => {
  it('1,000 concurrent calls against N tokens commit at most N, each settled exactly once', async () => {
    const N = 10_000;
    const store = createInMemoryBudgetStore();
    const feature = tokens('feature', N, 'day');
    const perUser = (u: number): ReserveLine => ({ ...tokens(`user-${u % 10}`, 2_000, 'day'), scope: 'user' });
    const settled: number[] = [];
    let refusals = 0;

    await Promise.all(
      Array.from({ length: 1_000 }, async (_, i) => {
        const lines = [{ ...feature, base: i % 17 }, { ...perUser(i), base: i % 17 }];
        await tick(); // let every call race to reserve in a different order
        const r = await store.reserve({ id: `call-${i}`, lines, minOutputTokens: 1, maxOutputTokens: 40, ttlMs: 60_000, now: 0 });
        if (!r.ok) {
          refusals++;
          return;
        }
        await tick();
        const actual = lines[0]!.base + Math.floor(r.outputTokens * ((i % 5) / 4)); // 0–100% of the grant
        expect(await store.settle(r.id, [actual, actual], 1)).toBe(true);
        settled.push(actual);
        expect(await store.settle(r.id, [actual, actual], 2)).toBe(false);
      }),
    );

    const [total, ...users] = await store.usage([feature, ...Array.from({ length: 10 }, (_, u) => perUser(u))], 3);
    const committed = settled.reduce((a, b) => a + b, 0);
    expect(total!.committed).toBe(committed);
    expect(total!.committed).toBeLessThanOrEqual(N);
    expect(total!.held).toBe(0);
    for (const user of users) expect(user.committed + user.held).toBeLessThanOrEqual(2_000);
    expect(settled.length + refusals).toBe(1_000);
    expect(store.stats()).toMatchObject({ live: 0, settled: settled.length, granted: settled.length });
  });

  it('clamped grants fill the limit exactly and never past it', async () => {
    const N = 5_003;
    const store = createInMemoryBudgetStore();
    const line = tokens('k', N, 'day');
    const grants = await Promise.all(
      Array.from({ length: 1_000 }, async (_, i) => {
        await tick();
        const r = await store.reserve({ id: `c${i}`, lines: [line], minOutputTokens: 1, maxOutputTokens: 10, ttlMs: 1_000, now: 0 });
        return r.ok ? r.outputTokens : 0;
      }),
    );
    expect(grants.reduce((a, b) => a + b, 0)).toBe(N);
    expect(await store.usage([line], 0)).toMatchObject([{ held: N, remaining: 0 }]);
  });
});
