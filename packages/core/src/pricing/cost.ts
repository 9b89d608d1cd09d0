import type { ModelPrice } from './schema.js';

/**
 * Token usage to price, shaped like `Usage`: `inputTokens` is all the input; `cacheReadTokens`
 * and `cacheWriteTokens` are the parts of it read from / written to the prompt cache.
 */
export interface PricedUsage {
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly cacheReadTokens?: number | undefined;
  readonly cacheWriteTokens?: number | undefined;
}

const PER_TOKEN = 1e-6;

/**
 * USD per input token for a reservation: the dearest way an input token can be billed (whether a
 * prompt hits or writes the cache is only known afterwards, and a cache write costs more than
 * plain input — 1.25× on Anthropic), so the hold is never below what the call can cost.
 */
export function inputUsdPerToken(price: ModelPrice): number {
  return Math.max(price.input, price.cacheWrite ?? price.input, price.cachedInput ?? price.input) * PER_TOKEN;
}

/** USD per output token. */
export function outputUsdPerToken(price: ModelPrice): number {
  return price.output * PER_TOKEN;
}

/**
 * The cost of `usage` in USD. Cache reads are billed at `cachedInput`, cache writes at
 * `cacheWrite` (each the input price when the model lists none), the rest of the input at
 * `input`. Cache parts beyond `inputTokens` are a reporting error and capped, never turned into
 * a negative cost.
 */
export function costUsd(price: ModelPrice, usage: PricedUsage): number {
  const read = Math.min(Math.max(usage.cacheReadTokens ?? 0, 0), usage.inputTokens);
  const write = Math.min(Math.max(usage.cacheWriteTokens ?? 0, 0), usage.inputTokens - read);
  const fresh = usage.inputTokens - read - write;
  const input = fresh * price.input + read * (price.cachedInput ?? price.input) + write * (price.cacheWrite ?? price.input);
  return (input + usage.outputTokens * price.output) * PER_TOKEN;
}

/** Decimal places of `costUsd` on results and events: a tenth of a nano-dollar. */
export const COST_USD_DECIMALS = 10;

/**
 * A cost as Keel reports it: rounded to {@link COST_USD_DECIMALS} places, so sums of float
 * prices read `0.00000585`, not `0.000005849999999999999`. Budgets are charged from unrounded
 * amounts; this is for results, events and spans.
 */
export function roundUsd(usd: number): number {
  // Arithmetic, not `Number(usd.toFixed(10))`: no string round trip on every call. Exact to the
  // same tenth of a nano-dollar while `usd × 10¹⁰` stays an exact integer (below 2⁵³: ~$900k).
  if (Math.abs(usd) >= MAX_ARITHMETIC_USD) return Number(usd.toFixed(COST_USD_DECIMALS));
  return Math.round(usd * USD_SCALE) / USD_SCALE;
}

const USD_SCALE = 10 ** COST_USD_DECIMALS;
const MAX_ARITHMETIC_USD = Number.MAX_SAFE_INTEGER / USD_SCALE;
