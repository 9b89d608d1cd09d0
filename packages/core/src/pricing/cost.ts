import type { ModelPrice } from './schema.js';

/** Token usage to price. `cachedInputTokens` is the part of `inputTokens` served from a prompt cache. */
export interface PricedUsage {
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly cachedInputTokens?: number | undefined;
}

const PER_TOKEN = 1e-6;

/** USD per input token (full price: whether a prompt hits the cache is only known afterwards). */
export function inputUsdPerToken(price: ModelPrice): number {
  return price.input * PER_TOKEN;
}

/** USD per output token. */
export function outputUsdPerToken(price: ModelPrice): number {
  return price.output * PER_TOKEN;
}

/**
 * The cost of `usage` in USD. Cached input is billed at `cachedInput` (the input price when the
 * model lists none); cached tokens beyond `inputTokens` are treated as a reporting error and
 * capped, never turned into a negative cost.
 */
export function costUsd(price: ModelPrice, usage: PricedUsage): number {
  const cached = Math.min(Math.max(usage.cachedInputTokens ?? 0, 0), usage.inputTokens);
  const fresh = usage.inputTokens - cached;
  return (fresh * price.input + cached * (price.cachedInput ?? price.input) + usage.outputTokens * price.output) * PER_TOKEN;
}
