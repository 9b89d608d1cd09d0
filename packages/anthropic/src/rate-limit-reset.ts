import { headerValue, type HeaderSource } from '@keel/core';

/** The limits Anthropic reports in `anthropic-ratelimit-<limit>-{limit,remaining,reset}`. */
const LIMITS = ['requests', 'tokens', 'input-tokens', 'output-tokens'] as const;

/**
 * A fallback wait for a 429 that carries no `retry-after`: the time until the latest reset
 * (RFC 3339) among the limits whose `remaining` is 0. Undefined when no limit is exhausted or
 * no reset parses: a request refused for needing more tokens than remain names no single limit.
 */
export function readRateLimitReset(headers: HeaderSource, now: number = Date.now()): number | undefined {
  if (!headers) return undefined;
  let resetAt: number | undefined;
  for (const limit of LIMITS) {
    if (headerValue(headers, `anthropic-ratelimit-${limit}-remaining`)?.trim() !== '0') continue;
    const reset = Date.parse(headerValue(headers, `anthropic-ratelimit-${limit}-reset`) ?? '');
    if (Number.isFinite(reset)) resetAt = Math.max(resetAt ?? reset, reset);
  }
  return resetAt === undefined ? undefined : Math.max(0, resetAt - now);
}
