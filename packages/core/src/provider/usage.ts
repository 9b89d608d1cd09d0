import type { Usage } from './messages.js';

/** Raw counts an adapter read from its SDK's usage block, not yet trusted. */
export interface UsageCounts {
  /** All input, cache reads and writes included (adapters add Anthropic's parts up first). */
  readonly inputTokens: unknown;
  readonly outputTokens: unknown;
  /** Absent (undefined or null) means 0. */
  readonly cacheReadTokens?: unknown;
  readonly cacheWriteTokens?: unknown;
}

/** A count a budget can safely add up: a finite, non-negative safe integer. */
export function isTokenCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

const optional = (value: unknown): unknown => (value === undefined || value === null ? 0 : value);

/**
 * The provider's usage, or `undefined` when any count is missing or not a token count
 * (negative, a string, NaN, `1e308`, cache parts larger than the input). An invalid report is
 * treated like a missing one — Keel then charges its own conservative count and emits
 * `usage.missing` — so such values never reach results, budgets or telemetry.
 */
export function readUsage(counts: UsageCounts | undefined): Usage | undefined {
  if (!counts) return undefined;
  const { inputTokens, outputTokens } = counts;
  const cacheReadTokens = optional(counts.cacheReadTokens);
  const cacheWriteTokens = optional(counts.cacheWriteTokens);
  if (!isTokenCount(inputTokens) || !isTokenCount(outputTokens) || !isTokenCount(cacheReadTokens) || !isTokenCount(cacheWriteTokens)) {
    return undefined;
  }
  if (cacheReadTokens + cacheWriteTokens > inputTokens) return undefined;
  return {
    inputTokens,
    outputTokens,
    ...(cacheReadTokens > 0 ? { cacheReadTokens } : {}),
    ...(cacheWriteTokens > 0 ? { cacheWriteTokens } : {}),
  };
}

/**
 * A required count plus an optional part (absent = 0), only when both are token counts;
 * otherwise the invalid value, so `readUsage` rejects it.
 */
export function addCounts(required: unknown, part: unknown): unknown {
  const right = optional(part);
  if (!isTokenCount(required)) return required;
  return isTokenCount(right) ? required + right : right;
}
