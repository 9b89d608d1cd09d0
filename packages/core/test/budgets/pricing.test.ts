import { describe, expect, it } from 'vitest';
import { KeelError } from '../../src/errors/index.js';
import {
  costUsd,
  roundUsd,
  COST_USD_DECIMALS,
  createPriceCatalog,
  DEFAULT_PRICES_AS_OF,
  priceOverrideIssues,
  unpricedIssues,
} from '../../src/pricing/index.js';

describe('price catalog', () => {
  const catalog = createPriceCatalog();

  it('prices the default models (list prices as of the stated date)', () => {
    expect(DEFAULT_PRICES_AS_OF).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(catalog.priceOf('openai', 'gpt-4o')).toEqual({ input: 2.5, cachedInput: 1.25, output: 10 });
    expect(catalog.priceOf('openai', 'gpt-4o-mini')).toEqual({ input: 0.15, cachedInput: 0.075, output: 0.6 });
    expect(catalog.priceOf('anthropic', 'claude-sonnet-4')?.output).toBe(15);
    for (const model of ['gpt-4.1', 'gpt-4.1-mini', 'gpt-4.1-nano', 'gpt-5', 'gpt-5-mini', 'o3', 'o4-mini']) {
      expect(catalog.priceOf('openai', model), model).toBeDefined();
    }
    for (const model of ['claude-opus-4', 'claude-sonnet-4', 'claude-3-5-haiku', 'claude-haiku-4-5']) {
      expect(catalog.priceOf('anthropic', model), model).toBeDefined();
    }
  });

  it.each([
    ['openai', 'gpt-4o-2024-08-06', 'gpt-4o'],
    ['openai', 'gpt-4o-mini-2024-07-18', 'gpt-4o-mini'],
    ['openai', 'gpt-4.1-mini-2025-04-14', 'gpt-4.1-mini'],
    ['openai', 'gpt-4-0613', 'gpt-4'],
    ['openai', 'GPT-4o', 'gpt-4o'],
    ['anthropic', 'claude-sonnet-4-20250514', 'claude-sonnet-4'],
    ['anthropic', 'claude-opus-4-0', 'claude-opus-4'],
    ['anthropic', 'claude-opus-4-1-20250805', 'claude-opus-4-1'],
    ['anthropic', 'claude-3-5-haiku-latest', 'claude-3-5-haiku'],
    ['anthropic', 'claude-haiku-4-5-20251001', 'claude-haiku-4-5'],
  ])('%s/%s is priced as %s (dated snapshot, longest prefix)', (provider, model, base) => {
    expect(catalog.priceOf(provider, model)).toEqual(catalog.priceOf(provider, base));
  });

  it.each([
    ['openai', 'o1-pro'],
    ['openai', 'gpt-4o-audio-preview'],
    ['openai', 'gpt-4-32k'],
    ['openai', 'gpt-9'],
    ['anthropic', 'claude-opus-4-6'],
    ['mistral', 'mistral-large'],
    ['openai', 'constructor'],
    ['openai', '__proto__'],
  ])('%s/%s is unpriced rather than guessed from a prefix', (provider, model) => {
    expect(catalog.priceOf(provider, model)).toBeUndefined();
  });

  it('prices every llama.cpp model at exactly 0', () => {
    expect(catalog.priceOf('llamacpp', 'qwen2.5-7b-instruct-q4_k_m')).toEqual({ input: 0, cachedInput: 0, output: 0 });
  });

  it('merges overrides over the defaults, model by model', () => {
    const custom = createPriceCatalog({
      overrides: { openai: { 'gpt-4o': { input: 2, output: 8 }, 'my-ft': { input: 1, output: 2 } }, vllm: { '*': { input: 0, output: 0 } } },
    });
    // The whole price is replaced: no stale cachedInput survives.
    expect(custom.priceOf('openai', 'gpt-4o-2024-11-20')).toEqual({ input: 2, output: 8 });
    expect(custom.priceOf('openai', 'my-ft')).toEqual({ input: 1, output: 2 });
    expect(custom.priceOf('openai', 'gpt-4o-mini')).toEqual(catalog.priceOf('openai', 'gpt-4o-mini'));
    expect(custom.priceOf('vllm', 'anything')).toEqual({ input: 0, output: 0 });
    expect(createPriceCatalog({ defaults: {} }).priceOf('openai', 'gpt-4o')).toBeUndefined();
  });

  it('rejects a negative or non-numeric price with a clear message', () => {
    const issues = priceOverrideIssues({ openai: { 'gpt-4o': { input: -1, output: 'free' } } });
    expect(issues).toEqual([
      expect.stringMatching(/^pricing\.openai\.gpt-4o\.input: input must be ≥ 0/),
      expect.stringMatching(/^pricing\.openai\.gpt-4o\.output: output must be a number/),
    ]);
    let thrown: unknown;
    try {
      createPriceCatalog({ overrides: { openai: { 'gpt-4o': { input: -1, output: 1 } } } });
    } catch (error) {
      thrown = error;
    }
    expect(KeelError.is(thrown) && thrown.kind).toBe('bad_request');
    expect(priceOverrideIssues({ openai: { x: { input: 1, output: 1, typo: 3 } } })).toHaveLength(1);
    expect(priceOverrideIssues({ openai: { x: { input: Infinity, output: 1 } } })).toHaveLength(1);
  });
});

describe('costUsd', () => {
  const price = { input: 2.5, cachedInput: 1.25, output: 10 };

  it('prices input, cached input and output per million tokens', () => {
    expect(costUsd(price, { inputTokens: 1_000_000, outputTokens: 0 })).toBeCloseTo(2.5, 12);
    expect(costUsd(price, { inputTokens: 1_000, outputTokens: 500 })).toBeCloseTo(0.0025 + 0.005, 12);
    expect(costUsd(price, { inputTokens: 1_000, outputTokens: 0, cacheReadTokens: 400 })).toBeCloseTo((600 * 2.5 + 400 * 1.25) / 1e6, 12);
  });

  it('bills cached input at the input price when the model lists no cached price, and never goes negative', () => {
    expect(costUsd({ input: 1, output: 1 }, { inputTokens: 100, outputTokens: 0, cacheReadTokens: 100 })).toBeCloseTo(1e-4, 12);
    expect(costUsd(price, { inputTokens: 10, outputTokens: 0, cacheReadTokens: 50 })).toBeCloseTo((10 * 1.25) / 1e6, 12);
  });
});

describe('unpricedIssues', () => {
  it('names every model a USD budget would need but cannot price', () => {
    const catalog = createPriceCatalog();
    const issues = unpricedIssues(catalog, [
      { path: 'features.chat.models.0', provider: 'openai', model: 'gpt-4o' },
      { path: 'features.chat.models.1', provider: 'openai', model: 'o1-pro' },
      { path: 'features.chat.budget.onExceeded.degrade', provider: 'llamacpp', model: 'local' },
    ]);
    expect(issues).toEqual([expect.stringMatching(/^features\.chat\.models\.1: no price for openai\/o1-pro/)]);
  });
});

describe('roundUsd', () => {
  it('reports costs at a fixed precision, without float noise', () => {
    expect(0.000001 * 5.85).not.toBe(0.00000585); // the float sum a cost is made of
    expect(roundUsd(0.000001 * 5.85)).toBe(0.00000585);
    expect(roundUsd(0.000005849999999999999)).toBe(0.00000585);
    expect(roundUsd(1.23456789012345)).toBe(1.2345678901);
    expect(COST_USD_DECIMALS).toBe(10);
  });
});
