import type { FeatureRateLimits, RateLimitScope } from './schema.js';
import type { RateLimitLine } from './store.js';

export interface RateLimitSubject {
  readonly user?: string | undefined;
  readonly tenant?: string | undefined;
}

interface CompiledRateLimit {
  readonly scope: RateLimitScope;
  readonly prefix: string;
  readonly tokensPerMinute: number | undefined;
  readonly requestsPerMinute: number | undefined;
}

/** A feature's rate limits, prepared once at `createKeel`. */
export interface CompiledRateLimits {
  /**
   * The lines one call takes: 1 request, and `tokens` — its upper-bound input plus its
   * `max_tokens`, the way providers count TPM at admission. Per-user / per-tenant limits are
   * skipped for a call that names no user / tenant.
   */
  lines(subject: RateLimitSubject, tokens: number): RateLimitLine[];
}

const encode = encodeURIComponent;

function prefixFor(feature: string, scope: RateLimitScope): string {
  switch (scope) {
    case 'global':
      return 'rate:global';
    case 'feature':
      return `rate:f=${encode(feature)}`;
    case 'user':
      return `rate:f=${encode(feature)}/u=`;
    case 'tenant':
      return `rate:f=${encode(feature)}/t=`;
  }
}

export function compileRateLimits(feature: string, limits: FeatureRateLimits): CompiledRateLimits {
  const compiled: CompiledRateLimit[] = limits.map((limit) => ({
    scope: limit.scope,
    prefix: prefixFor(feature, limit.scope),
    tokensPerMinute: limit.tokensPerMinute,
    requestsPerMinute: limit.requestsPerMinute,
  }));
  return {
    lines(subject, tokens) {
      const lines: RateLimitLine[] = [];
      for (const limit of compiled) {
        let base: string;
        if (limit.scope === 'user' || limit.scope === 'tenant') {
          const id = limit.scope === 'user' ? subject.user : subject.tenant;
          if (id === undefined) continue;
          base = limit.prefix + encode(id);
        } else {
          base = limit.prefix;
        }
        if (limit.requestsPerMinute !== undefined) lines.push({ key: `${base}:requests`, limit: limit.requestsPerMinute, amount: 1, unit: 'requests' });
        if (limit.tokensPerMinute !== undefined) lines.push({ key: `${base}:tokens`, limit: limit.tokensPerMinute, amount: tokens, unit: 'tokens' });
      }
      return lines;
    },
  };
}

/** The refund for a finished call: what its token lines took beyond the tokens it really used. */
export function tokenRefund(lines: readonly RateLimitLine[], usedTokens: number): RateLimitLine[] {
  const refunds: RateLimitLine[] = [];
  for (const line of lines) {
    if (line.unit === 'tokens' && line.amount > usedTokens) refunds.push({ ...line, amount: line.amount - usedTokens });
  }
  return refunds;
}
