import type { PriceTable } from './schema.js';

/**
 * When the default prices were last checked against the providers' public list prices
 * (openai.com/api/pricing, anthropic.com/pricing). Prices change: override them in the Keel
 * configuration rather than waiting for a release.
 */
export const DEFAULT_PRICES_AS_OF = '2025-11-01';

/**
 * Standard (non-batch) list prices, USD per million tokens. Prompt caching: OpenAI bills cached
 * input at `cachedInput` and has no write charge; Anthropic bills cache reads at 0.1× input and
 * 5-minute cache writes at 1.25× input (`cacheWrite`). Not modelled: batch discounts, the 1-hour
 * cache (writes at 2× input) and long-context tiers (e.g. Sonnet 4/4.5 above 200k input
 * tokens); where they apply, override.
 */
export const DEFAULT_PRICES: PriceTable = {
  openai: {
    'gpt-5': { input: 1.25, cachedInput: 0.125, output: 10 },
    'gpt-5-mini': { input: 0.25, cachedInput: 0.025, output: 2 },
    'gpt-5-nano': { input: 0.05, cachedInput: 0.005, output: 0.4 },
    'gpt-4.1': { input: 2, cachedInput: 0.5, output: 8 },
    'gpt-4.1-mini': { input: 0.4, cachedInput: 0.1, output: 1.6 },
    'gpt-4.1-nano': { input: 0.1, cachedInput: 0.025, output: 0.4 },
    'gpt-4o': { input: 2.5, cachedInput: 1.25, output: 10 },
    'gpt-4o-mini': { input: 0.15, cachedInput: 0.075, output: 0.6 },
    o1: { input: 15, cachedInput: 7.5, output: 60 },
    o3: { input: 2, cachedInput: 0.5, output: 8 },
    'o3-mini': { input: 1.1, cachedInput: 0.55, output: 4.4 },
    'o4-mini': { input: 1.1, cachedInput: 0.275, output: 4.4 },
    'gpt-4-turbo': { input: 10, output: 30 },
    'gpt-4': { input: 30, output: 60 },
    'gpt-3.5-turbo': { input: 0.5, output: 1.5 },
  },
  anthropic: {
    'claude-opus-4-5': { input: 5, cachedInput: 0.5, cacheWrite: 6.25, output: 25 },
    'claude-opus-4-1': { input: 15, cachedInput: 1.5, cacheWrite: 18.75, output: 75 },
    'claude-opus-4': { input: 15, cachedInput: 1.5, cacheWrite: 18.75, output: 75 },
    'claude-sonnet-4-5': { input: 3, cachedInput: 0.3, cacheWrite: 3.75, output: 15 },
    'claude-sonnet-4': { input: 3, cachedInput: 0.3, cacheWrite: 3.75, output: 15 },
    'claude-3-7-sonnet': { input: 3, cachedInput: 0.3, cacheWrite: 3.75, output: 15 },
    'claude-haiku-4-5': { input: 1, cachedInput: 0.1, cacheWrite: 1.25, output: 5 },
    'claude-3-5-haiku': { input: 0.8, cachedInput: 0.08, cacheWrite: 1, output: 4 },
    'claude-3-haiku': { input: 0.25, cachedInput: 0.03, cacheWrite: 0.3, output: 1.25 },
  },
  // A local llama.cpp server costs nothing per token: priced at 0 on purpose, so a USD budget
  // on it is valid (and never binds) instead of failing as "unpriced".
  llamacpp: {
    '*': { input: 0, cachedInput: 0, output: 0 },
  },
};
