import { z } from 'zod';

export const RATE_LIMIT_SCOPES = ['feature', 'user', 'tenant', 'global'] as const;

/** Tokens and/or requests per minute for one scope of a feature. */
export const rateLimitSchema = z
  .object({
    scope: z.enum(RATE_LIMIT_SCOPES, {
      error: (issue) =>
        `unknown scope ${JSON.stringify(issue.input)}: use "feature", "user" (feature × user), "tenant" (feature × tenant) or "global"`,
    }),
    tokensPerMinute: z.number().int().positive({ error: 'tokensPerMinute must be > 0' }).optional(),
    requestsPerMinute: z.number().int().positive({ error: 'requestsPerMinute must be > 0' }).optional(),
  })
  .strict()
  .refine((limit) => limit.tokensPerMinute !== undefined || limit.requestsPerMinute !== undefined, {
    error: 'set tokensPerMinute, requestsPerMinute or both',
  });

/** A feature's rate limits: at most one entry per scope. */
export const featureRateLimitsSchema = z.array(rateLimitSchema).superRefine((limits, ctx) => {
  const seen = new Map<string, number>();
  limits.forEach((limit, i) => {
    const first = seen.get(limit.scope);
    if (first === undefined) seen.set(limit.scope, i);
    else ctx.addIssue({ code: 'custom', path: [i], message: `duplicates entry ${first} (scope "${limit.scope}"); merge them` });
  });
});

export type RateLimitScope = (typeof RATE_LIMIT_SCOPES)[number];
export type RateLimitConfig = z.output<typeof rateLimitSchema>;
/** A feature's rate limits as the user writes them. */
export type FeatureRateLimitsConfig = z.input<typeof featureRateLimitsSchema>;
export type FeatureRateLimits = z.output<typeof featureRateLimitsSchema>;
