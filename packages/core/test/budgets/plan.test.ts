import { describe, expect, it } from 'vitest';
import { compileFeatureBudget, createInMemoryBudgetStore, featureBudgetSchema, settleAmounts } from '../../src/budgets/index.js';
import { createPriceCatalog } from '../../src/pricing/index.js';

const price = createPriceCatalog().priceOf('openai', 'gpt-4o-mini')!; // $0.15 in, $0.60 out per 1M

describe('compileFeatureBudget', () => {
  const budget = compileFeatureBudget(
    'chat',
    featureBudgetSchema.parse({
      limits: [
        { scope: 'feature', unit: 'tokens', limit: 1_000_000, window: 'day' },
        { scope: 'user', unit: 'usd', limit: 0.5, window: 'month' },
        { scope: 'tenant', unit: 'tokens', limit: 50_000, window: { sliding: 60_000 } },
        { scope: 'global', unit: 'usd', limit: 100, window: 'day' },
      ],
    }),
  );

  it('turns a call into reserve lines: tokens as input + 1 per output token, USD at the model price', () => {
    const plan = budget.plan({ user: 'alice', tenant: 'acme', inputTokens: 1_000, maxOutputTokens: 500, price });
    expect(budget.needsPrice).toBe(true);
    expect(plan).toEqual({
      ok: true,
      minOutputTokens: 500,
      maxOutputTokens: 500,
      lines: [
        { key: 'budget:f=chat:tokens:day', scope: 'feature', unit: 'tokens', limit: 1_000_000, window: 'day', base: 1_000, perOutputToken: 1 },
        { key: 'budget:f=chat/u=alice:usd:month', scope: 'user', unit: 'usd', limit: 0.5, window: 'month', base: 1_000 * 0.15e-6, perOutputToken: 0.6e-6 },
        { key: 'budget:f=chat/t=acme:tokens:sliding60000', scope: 'tenant', unit: 'tokens', limit: 50_000, window: { sliding: 60_000 }, base: 1_000, perOutputToken: 1 },
        { key: 'budget:global:usd:day', scope: 'global', unit: 'usd', limit: 100, window: 'day', base: 1_000 * 0.15e-6, perOutputToken: 0.6e-6 },
      ],
    });
  });

  it('choices (OpenAI n) multiply the cost of each output token; the per-request cap divides by them', () => {
    const plan = budget.plan({ user: 'alice', inputTokens: 100, maxOutputTokens: 50, choices: 4, price });
    expect(plan.ok && plan.lines.map((l) => l.perOutputToken)).toEqual([4, 4 * 0.6e-6, 4 * 0.6e-6]);
    const capped = compileFeatureBudget('c', featureBudgetSchema.parse({ perRequest: { maxTokens: 500 }, onExceeded: { clamp: { minOutputTokens: 1 } } }));
    expect(capped.plan({ inputTokens: 100, maxOutputTokens: 1_000, choices: 4 })).toMatchObject({ ok: true, maxOutputTokens: 100 });
  });

  it('skips user and tenant limits for a call that names neither', () => {
    const plan = budget.plan({ inputTokens: 10, maxOutputTokens: 10, price });
    expect(plan.ok && plan.lines.map((l) => l.scope)).toEqual(['feature', 'global']);
  });

  it('needs a price when a limit is in USD', () => {
    expect(() => budget.plan({ inputTokens: 10, maxOutputTokens: 10 })).toThrow(/needs a price/);
  });

  it('caps one request: clamps its output under clamp, refuses it when even the minimum breaks the cap', () => {
    const clamp = compileFeatureBudget('x', featureBudgetSchema.parse({ perRequest: { maxTokens: 1_000, maxUsd: 0.0003 }, onExceeded: { clamp: { minOutputTokens: 50 } } }));
    // Tokens: 1000 − 700 = 300. USD: (0.0003 − 700 × 0.15e-6) / 0.6e-6 = 325. The tighter wins.
    expect(clamp.plan({ inputTokens: 700, maxOutputTokens: 2_000, price })).toMatchObject({ ok: true, minOutputTokens: 50, maxOutputTokens: 300 });
    expect(clamp.plan({ inputTokens: 990, maxOutputTokens: 2_000, price })).toEqual({ ok: false, reason: 'per_request', unit: 'tokens', limit: 1_000, needed: 1_040 });
    const refuse = compileFeatureBudget('x', featureBudgetSchema.parse({ perRequest: { maxTokens: 1_000 } }));
    expect(refuse.plan({ inputTokens: 700, maxOutputTokens: 400 })).toMatchObject({ ok: false, reason: 'per_request', needed: 1_100 });
    expect(refuse.plan({ inputTokens: 700, maxOutputTokens: 300 })).toMatchObject({ ok: true, minOutputTokens: 300, maxOutputTokens: 300 });
  });

  it('plans, reserves and settles end to end', async () => {
    const store = createInMemoryBudgetStore();
    const plan = budget.plan({ user: 'alice', inputTokens: 2_000, maxOutputTokens: 800, price });
    if (!plan.ok) throw new Error('per-request refusal');
    const r = await store.reserve({ id: 'call-1', ...plan, ttlMs: 120_000, now: 0 });
    expect(r.ok).toBe(true);
    const usage = { inputTokens: 600, outputTokens: 120, cacheReadTokens: 100 };
    const amounts = settleAmounts(plan.lines, usage, price);
    expect(amounts[0]).toBe(720);
    expect(amounts[1]).toBeCloseTo((500 * 0.15 + 100 * 0.075 + 120 * 0.6) / 1e6, 15);
    expect(await store.settle('call-1', amounts, 1)).toBe(true);
    expect((await store.usage(plan.lines, 2))[0]).toMatchObject({ committed: 720, held: 0 });
  });
});
