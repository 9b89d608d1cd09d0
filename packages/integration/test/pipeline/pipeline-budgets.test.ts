/** Budgets and rate limits through the whole pipeline (the stores themselves: test/budgets/). */
import { createFakeClock, createScriptedProvider } from '@keel/testkit';
import { describe, expect, it } from 'vitest';
import {
  createInMemoryBudgetStore,
  createKeel,
  createTokenCounter,
  estimateTextTokens,
  estimateTokens,
  EXACT_COUNT_MAX_TOKENS,
  KeelError,
  type BudgetStore,
  type FeatureConfig,
  type InMemoryBudgetStore,
  type KeelEvent,
  type ModelPrice,
  type Provider,
} from '@keel/core';
import { failure, user } from './helpers.js';

const day = Date.parse('2026-03-10T12:00:00Z');
const usage = { inputTokens: 10, outputTokens: 5 };

function setup(
  feature: Partial<FeatureConfig>,
  providers: Provider[] = [createScriptedProvider({ id: 'openai', steps: () => ({ text: 'ok', usage }) })],
  storeOf: (store: InMemoryBudgetStore) => BudgetStore = (store) => store,
) {
  const clock = createFakeClock({ start: day });
  const store = createInMemoryBudgetStore({ clock });
  const events: KeelEvent[] = [];
  const keel = createKeel({
    providers,
    features: { f: { models: [{ provider: providers[0]!.id, model: 'gpt-4o-mini' }], maxTokens: 5, ...feature } },
    budgetStore: storeOf(store),
    clock,
    onEvent: (e) => events.push(e),
  });
  return { clock, store, keel, events };
}

const tokensPerDay = (limit: number, scope: 'feature' | 'user' = 'feature') => ({ limits: [{ scope, unit: 'tokens' as const, limit, window: 'day' as const }] });

describe('budgets in the pipeline', () => {
  it('1,000 concurrent calls never spend more than the budget, and every admitted call settles once', async () => {
    const limit = 3_000;
    const { keel, store } = setup({ budget: tokensPerDay(limit) });
    const results = await Promise.allSettled(Array.from({ length: 1_000 }, () => keel.chat({ feature: 'f', messages: user('hi') })));
    const admitted = results.filter((r) => r.status === 'fulfilled').length;
    const refused = results.filter((r) => r.status === 'rejected' && KeelError.is(r.reason) && r.reason.kind === 'budget_exceeded').length;
    expect(admitted + refused).toBe(1_000);
    expect(admitted).toBeGreaterThan(0);
    expect(refused).toBeGreaterThan(0);
    const stats = store.stats();
    expect(stats.settled).toBe(admitted); // exactly once each
    expect(stats.live).toBe(0);
    const [line] = await store.usage([{ key: 'budget:f=f:tokens:day', unit: 'tokens', limit, window: 'day' }]);
    expect(line!.committed).toBe(admitted * (usage.inputTokens + usage.outputTokens));
    expect(line!.committed + line!.held).toBeLessThanOrEqual(limit);
    keel.close();
  });

  it('refuses with the scope, the limit, what is left and when it resets', async () => {
    // 'hi' reserves ~23 tokens (byte bound + maxTokens 5) and settles at 15; the exact count
    // (~13) no longer fits the 10 left either.
    const { keel } = setup({ budget: tokensPerDay(25, 'user') });
    await keel.chat({ feature: 'f', user: 'alice', messages: user('hi') });
    const error = await failure(keel.chat({ feature: 'f', user: 'alice', messages: user('hi') }));
    expect(error.kind).toBe('budget_exceeded');
    expect(error.budget).toMatchObject({ scope: 'user', limit: 25, unit: 'tokens', remaining: 10, resetAt: Date.parse('2026-03-11T00:00:00Z') });
    expect(error.retryAfterMs).toBe(Date.parse('2026-03-11T00:00:00Z') - day);
    // Another user has their own budget.
    await expect(keel.chat({ feature: 'f', user: 'bob', messages: user('hi') })).resolves.toMatchObject({ text: 'ok' });
    keel.close();
  });

  it('a new calendar window starts empty (fake clock past midnight UTC)', async () => {
    const { keel, clock } = setup({ budget: tokensPerDay(25) });
    await keel.chat({ feature: 'f', messages: user('hi') });
    await expect(keel.chat({ feature: 'f', messages: user('hi') })).rejects.toMatchObject({ kind: 'budget_exceeded' });
    clock.advance(12 * 3_600_000);
    await expect(keel.chat({ feature: 'f', messages: user('hi') })).resolves.toMatchObject({ text: 'ok' });
    keel.close();
  });

  it('releases the hold when the call fails, and when the caller aborts', async () => {
    const provider = createScriptedProvider({ steps: [{ error: new KeelError('auth', 'no') }, { hang: true }] });
    const { keel, store } = setup({ budget: tokensPerDay(1_000) }, [provider]);
    await expect(keel.chat({ feature: 'f', messages: user('hi') })).rejects.toMatchObject({ kind: 'auth' });
    const controller = new AbortController();
    const pending = keel.chat({ feature: 'f', messages: user('hi'), signal: controller.signal });
    await new Promise((resolve) => setImmediate(resolve));
    controller.abort();
    await expect(pending).rejects.toMatchObject({ kind: 'aborted' });
    expect(store.stats()).toMatchObject({ released: 2, settled: 0, live: 0 });
    const [line] = await store.usage([{ key: 'budget:f=f:tokens:day', unit: 'tokens', limit: 1_000, window: 'day' }]);
    expect(line).toMatchObject({ committed: 0, held: 0 });
    keel.close();
  });

  it('a stream cut mid-way commits its input and the text it served, nothing more', async () => {
    const provider = createScriptedProvider({ steps: [{ stream: ['one ', 'two ', 'three'], failAfter: 2 }] });
    const { keel, store } = setup({ budget: tokensPerDay(1_000) }, [provider]);
    await expect(keel.stream({ feature: 'f', messages: user('hi') }).text()).rejects.toMatchObject({ kind: 'connection', partialText: 'one two ' });
    // The provider accepted the stream: its input and the charged output are settled.
    expect(store.stats()).toMatchObject({ settled: 1, live: 0 });
    const [line] = await store.usage([{ key: 'budget:f=f:tokens:day', unit: 'tokens', limit: 1_000, window: 'day' }]);
    expect(line!.held).toBe(0);
    // Exactly what it used (a broken leg without usage): the prompt by tiktoken with OpenAI's
    // chat framing (3 + 4 + 'hi' = 8) and the text delivered ('one two ' = 3), not the bound.
    const counter = createTokenCounter();
    expect(counter.exact('gpt-4o-mini', user('hi'))).toBe(8);
    expect(counter.exactText('gpt-4o-mini', 'one two ')).toBe(3);
    expect(line!.committed).toBe(11);
    expect(line!.committed).toBeLessThan(1_000);
    keel.close();
  });

  it('a stream cut mid-way with a prompt over EXACT_COUNT_MAX_TOKENS is charged the estimate (no synchronous tiktoken pass)', async () => {
    const provider = createScriptedProvider({ id: 'openai', steps: [{ stream: ['one ', 'two ', 'three'], failAfter: 2 }] });
    const { keel, store } = setup({ budget: tokensPerDay(10_000_000) }, [provider]);
    // Its byte bound is past the limit; no context window is known for this snapshot, so it is sent.
    const prompt = user('a'.repeat(EXACT_COUNT_MAX_TOKENS + 1_000));
    await expect(keel.stream({ feature: 'f', model: 'gpt-4o-mini-search-preview', messages: prompt }).text()).rejects.toMatchObject({ kind: 'connection' });
    const [line] = await store.usage([{ key: 'budget:f=f:tokens:day', unit: 'tokens', limit: 10_000_000, window: 'day' }]);
    expect(line).toMatchObject({ held: 0, committed: estimateTokens(prompt) + estimateTextTokens('one two ') });
    keel.close();
  });

  it('clamp: shrinks maxTokens to what is left, above the floor', async () => {
    const provider = createScriptedProvider({ steps: () => ({ text: 'ok', usage: { inputTokens: 1, outputTokens: 1 } }) });
    const { keel } = setup({ maxTokens: 1_000, budget: { ...tokensPerDay(400), onExceeded: { clamp: { minOutputTokens: 50 } } } }, [provider]);
    await keel.chat({ feature: 'f', messages: user('hi') });
    const sent = provider.calls[0]!.request.maxTokens!;
    expect(sent).toBeLessThan(400);
    expect(sent).toBeGreaterThanOrEqual(50);
    keel.close();
  });

  it('degrade: switches to the cheaper model when the primary does not fit, and charges what answered', async () => {
    const provider = createScriptedProvider({ id: 'openai', steps: () => ({ text: 'ok', usage: { inputTokens: 100, outputTokens: 100 } }) });
    const clock = createFakeClock({ start: day });
    const keel = createKeel({
      providers: [provider],
      clock,
      features: {
        f: {
          models: [{ provider: 'openai', model: 'gpt-4o' }],
          maxTokens: 100,
          budget: { limits: [{ scope: 'feature', unit: 'usd', limit: 0.0005, window: 'day' }], onExceeded: { degrade: { model: 'gpt-4o-mini' } } },
        },
      },
    });
    const result = await keel.chat({ feature: 'f', messages: user('hi') });
    expect(result.model).toBe('gpt-4o-mini');
    expect(provider.calls[0]!.request.model).toBe('gpt-4o-mini');
    const price: ModelPrice = { input: 0.15, output: 0.6 };
    expect(result.costUsd).toBeCloseTo((100 * price.input + 100 * price.output) / 1e6, 12);
    keel.close();
  });

  it('cost is attributed to the model that actually answered after a fallback', async () => {
    const a = createScriptedProvider({ id: 'openai', steps: () => ({ error: new KeelError('overloaded', 'busy') }) });
    const b = createScriptedProvider({ id: 'anthropic', steps: () => ({ text: 'ok', usage: { inputTokens: 1_000, outputTokens: 1_000 } }) });
    const keel = createKeel({
      providers: [a, b],
      pricing: { anthropic: { 'claude-test': { input: 1, output: 2 } } },
      features: {
        f: {
          models: [{ provider: 'openai', model: 'gpt-4o' }, { provider: 'anthropic', model: 'claude-test' }],
          maxTokens: 2_000,
          retry: { maxAttempts: 1 },
          budget: { limits: [{ scope: 'feature', unit: 'usd', limit: 10, window: 'month' }] },
        },
      },
    });
    const result = await keel.chat({ feature: 'f', messages: user('hi') });
    expect(result).toMatchObject({ provider: 'anthropic', model: 'claude-test' });
    expect(result.costUsd).toBeCloseTo(0.003, 12);
    keel.close();
  });

  it('refuse: a per-request cap is a budget_exceeded whatever is left', async () => {
    const { keel } = setup({ maxTokens: 500, budget: { perRequest: { maxTokens: 100 } } });
    const error = await failure(keel.chat({ feature: 'f', messages: user('hi') }));
    expect(error).toMatchObject({ kind: 'budget_exceeded', budget: { scope: 'request', limit: 100, unit: 'tokens' } });
    expect(error.budget!.needed).toBeGreaterThan(100);
    keel.close();
  });

  // The in-memory store answers each delta's charge at once (chargeNow); a store without it
  // (Redis) is awaited per delta. Both must cut the stream at the same word.
  const chargeCalls = { now: 0, async: 0 };
  const counted = (store: InMemoryBudgetStore, sync: boolean): BudgetStore => ({
    reserve: (r) => store.reserve(r),
    settle: (id, amounts, now) => store.settle(id, amounts, now),
    release: (id, now) => store.release(id, now),
    usage: (q, now) => store.usage(q, now),
    charge: (id, tokens, now) => (chargeCalls.async++, store.charge(id, tokens, now)),
    ...(sync ? { chargeNow: (id: string, tokens: number, now?: number) => (chargeCalls.now++, store.chargeNow(id, tokens, now)) } : {}),
  });
  it.each([
    ['answers at once (chargeNow)', true],
    ['answers with a promise (charge)', false],
  ])('a stream whose budget runs out mid-way ends cleanly with finish reason budget_exhausted: a store that %s', async (_, sync) => {
    chargeCalls.now = chargeCalls.async = 0;
    // This provider ignores max_tokens and keeps talking: Keel's meter stops it.
    const words = Array.from({ length: 200 }, () => 'word ');
    const provider = createScriptedProvider({ steps: [{ stream: words, usage: null }] });
    const { keel, store } = setup({ maxTokens: 5, budget: tokensPerDay(60) }, [provider], (store) => counted(store, sync));
    const result = await keel.stream({ feature: 'f', messages: user('hi') }).result();
    expect(result.finishReason).toBe('budget_exhausted');
    // The same cut either way: the budget's 60 tokens less the prompt's hold, in metered text.
    expect(result.text).toBe('word '.repeat(29));
    expect(provider.calls[0]!.context.signal.aborted).toBe(true);
    const [used, unused] = sync ? [chargeCalls.now, chargeCalls.async] : [chargeCalls.async, chargeCalls.now];
    expect(unused).toBe(0);
    expect(used).toBeGreaterThan(5);
    const [line] = await store.usage([{ key: 'budget:f=f:tokens:day', unit: 'tokens', limit: 60, window: 'day' }]);
    expect(line!.committed + line!.held).toBeLessThanOrEqual(60);
    keel.close();
  });

  it('announces cost and the tightest budget on call.finished', async () => {
    const { keel, events } = setup({ budget: tokensPerDay(1_000) });
    const result = await keel.chat({ feature: 'f', messages: user('hi') });
    expect(result.budgetRemaining).toEqual({ scope: 'feature', unit: 'tokens', remaining: 1_000 - 15 });
    const finished = events.find((e) => e.type === 'call.finished');
    expect(finished).toMatchObject({ budgetRemaining: { scope: 'feature', unit: 'tokens', remaining: 1_000 - 15 } });
    expect(finished?.type === 'call.finished' && finished.costUsd).toBeGreaterThan(0);
    const streamed = await keel.stream({ feature: 'f', messages: user('hi') }).result();
    expect(streamed.budgetRemaining).toMatchObject({ scope: 'feature', unit: 'tokens', remaining: 1_000 - 30 });
    keel.close();
  });
});

describe('rate limits in tokens and requests', () => {
  it('waits for room within the deadline', async () => {
    const { keel, clock } = setup({ rateLimits: [{ scope: 'user', requestsPerMinute: 2 }] });
    for (let i = 0; i < 3; i++) await keel.chat({ feature: 'f', user: 'u', messages: user('hi') });
    expect(clock.sleeps.length).toBe(1);
    expect(clock.sleeps[0]).toBeGreaterThan(0);
    expect(clock.sleeps[0]).toBeLessThanOrEqual(30_000);
    keel.close();
  });

  it('refuses with rate_limited and retryAfterMs when the wait would pass the deadline', async () => {
    const { keel, clock } = setup({ rateLimits: [{ scope: 'feature', requestsPerMinute: 1 }], timeouts: { totalMs: 1_000 } });
    await keel.chat({ feature: 'f', messages: user('hi') });
    const error = await failure(keel.chat({ feature: 'f', messages: user('hi') }));
    expect(error.kind).toBe('rate_limited');
    expect(error.retryAfterMs).toBeGreaterThan(1_000);
    expect(clock.sleeps).toEqual([]);
    keel.close();
  });
});

describe('budget configuration is validated at createKeel', () => {
  const provider = createScriptedProvider({ id: 'openai' });
  const create = (feature: Partial<FeatureConfig>) => () =>
    createKeel({ providers: [provider], features: { f: { models: [{ provider: 'openai', model: 'gpt-4o' }], maxTokens: 10, ...feature } } });
  const issues = (fn: () => unknown) => {
    try {
      fn();
    } catch (error) {
      if (KeelError.is(error)) return error.issues?.join('\n') ?? '';
    }
    throw new Error('expected a configuration error');
  };

  it.each([
    ['a negative limit', { budget: { limits: [{ scope: 'feature', unit: 'tokens', limit: -5, window: 'day' }] } }, /features\.f\.budget\.limits\.0\.limit: limit must be > 0/],
    ['an unknown scope', { budget: { limits: [{ scope: 'planet', unit: 'tokens', limit: 5, window: 'day' }] } }, /unknown scope "planet"/],
    ['an unknown window', { budget: { limits: [{ scope: 'feature', unit: 'tokens', limit: 5, window: 'fortnight' }] } }, /unknown window "fortnight"/],
    ['a degrade to an unknown provider', { budget: { limits: [{ scope: 'feature', unit: 'tokens', limit: 5, window: 'day' }], onExceeded: { degrade: { model: 'x', provider: 'nope' } } } }, /degrade\.provider: unknown provider "nope"/],
    ['a money budget on an unpriced model', { models: [{ provider: 'openai', model: 'my-finetune' }], budget: { limits: [{ scope: 'feature', unit: 'usd', limit: 5, window: 'day' }] } }, /no price for openai\/my-finetune/],
    ['a budget without maxTokens', { maxTokens: undefined, budget: { limits: [{ scope: 'feature', unit: 'tokens', limit: 5, window: 'day' }] } }, /maxTokens: required when the feature has a budget/],
  ] as const)('rejects %s', (_name, feature, pattern) => {
    expect(issues(create(feature as unknown as Partial<FeatureConfig>))).toMatch(pattern);
  });
});

describe('a feature whose model comes from each call (drop-in wrappers)', () => {
  it('accepts a money budget at createKeel and prices the model each call names', async () => {
    const { buildWrapKeel } = await import('@keel/core');
    const provider = createScriptedProvider({ id: 'openai', steps: () => ({ text: 'ok', usage: { inputTokens: 1_000, outputTokens: 1_000 } }) });
    const keel = buildWrapKeel(provider, {
      feature: 'f',
      features: { f: { maxTokens: 1_000, budget: { limits: [{ scope: 'feature', unit: 'usd', limit: 1, window: 'day' }] } } },
    });
    const result = await keel.chat({ feature: 'f', model: 'gpt-4o-mini', messages: user('hi') });
    expect(result.costUsd).toBeCloseTo((1_000 * 0.15 + 1_000 * 0.6) / 1e6, 12);
    await expect(keel.chat({ feature: 'f', model: 'my-unpriced-finetune', messages: user('hi') })).rejects.toMatchObject({
      kind: 'bad_request',
      message: expect.stringMatching(/No price for openai\/my-unpriced-finetune/),
    });
    keel.close();
  });
});

describe('a failing budget store', () => {
  it('ends the call with a typed error, for chat and stream, and sends nothing', async () => {
    const provider = createScriptedProvider({ id: 'openai' });
    const broken = createInMemoryBudgetStore();
    const keel = createKeel({
      providers: [provider],
      budgetStore: { ...broken, reserve: () => Promise.reject(new Error('store unreachable')) },
      features: { f: { models: [{ provider: 'openai', model: 'gpt-4o-mini' }], maxTokens: 5, budget: tokensPerDay(100) } },
    });
    const chatError = await failure(keel.chat({ feature: 'f', messages: user('hi') }));
    const streamError = await failure(keel.stream({ feature: 'f', messages: user('hi') }).text());
    for (const error of [chatError, streamError]) expect(error).toMatchObject({ kind: 'server', retryable: false });
    expect(provider.calls).toHaveLength(0);
    keel.close();
  });
});
