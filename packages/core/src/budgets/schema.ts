import { z } from 'zod';
import { CALENDAR_WINDOWS, windowTag, type CalendarWindow } from './windows.js';

export const BUDGET_SCOPES = ['feature', 'user', 'tenant', 'global'] as const;
export const BUDGET_UNITS = ['tokens', 'usd'] as const;

const scopeSchema = z.enum(BUDGET_SCOPES, {
  error: (issue) =>
    `unknown scope ${JSON.stringify(issue.input)}: use "feature", "user" (feature × user), "tenant" (feature × tenant) or "global"`,
});

const unitSchema = z.enum(BUDGET_UNITS, {
  error: (issue) => `unknown unit ${JSON.stringify(issue.input)}: use "tokens" or "usd"`,
});

const slidingSchema = z
  .object({
    /** Window length in milliseconds. */
    sliding: z
      .number({ error: 'sliding must be a number of milliseconds' })
      .int({ error: 'sliding must be a whole number of milliseconds' })
      .positive({ error: 'sliding must be > 0 milliseconds' }),
  })
  .strict();

const windowSchema = z.union([z.enum(CALENDAR_WINDOWS as [CalendarWindow, ...CalendarWindow[]]), slidingSchema], {
  error: (issue) =>
    `unknown window ${JSON.stringify(issue.input)}: use "minute", "hour", "day" or "month" (UTC calendar) or { sliding: milliseconds }`,
});

/** One limit of a feature's budget. */
export const budgetLimitSchema = z
  .object({
    scope: scopeSchema,
    unit: unitSchema,
    limit: z
      .number({ error: 'limit must be a number' })
      .positive({ error: 'limit must be > 0 (to block a feature, remove its models instead)' }),
    window: windowSchema,
  })
  .strict();

const onExceededSchema = z.union(
  [
    z.literal('refuse'),
    z.object({ clamp: z.object({ minOutputTokens: z.number().int().min(1, { error: 'minOutputTokens must be ≥ 1' }) }).strict() }).strict(),
    z.object({ degrade: z.object({ model: z.string().min(1), provider: z.string().min(1).optional() }).strict() }).strict(),
  ],
  { error: 'onExceeded must be "refuse", { clamp: { minOutputTokens } } or { degrade: { model, provider? } }' },
);

/**
 * A feature's budget: limits reserved before every call, an optional per-request cap, and what
 * to do when a call does not fit (`refuse` it; `clamp` its output down to what is left, never
 * below `minOutputTokens`; or `degrade` to a cheaper model — the caller checks that it exists).
 */
export const featureBudgetSchema = z
  .object({
    limits: z.array(budgetLimitSchema).default([]),
    perRequest: z
      .object({
        /** Cap on one call's input + output tokens. */
        maxTokens: z.number().int().positive({ error: 'perRequest.maxTokens must be > 0' }).optional(),
        /** Cap on one call's cost, in USD. */
        maxUsd: z.number().positive({ error: 'perRequest.maxUsd must be > 0' }).optional(),
      })
      .strict()
      .optional(),
    onExceeded: onExceededSchema.default('refuse'),
  })
  .strict()
  .superRefine((budget, ctx) => {
    // Two limits on the same scope, unit and window would share one counter: keep the tighter.
    const seen = new Map<string, number>();
    budget.limits.forEach((limit, i) => {
      const id = `${limit.scope}:${limit.unit}:${windowTag(limit.window)}`;
      const first = seen.get(id);
      if (first === undefined) seen.set(id, i);
      else {
        ctx.addIssue({
          code: 'custom',
          path: ['limits', i],
          message: `duplicates limits.${first} (same scope, unit and window); keep only the tighter one`,
        });
      }
    });
  });

export type BudgetScope = (typeof BUDGET_SCOPES)[number];
export type BudgetUnit = (typeof BUDGET_UNITS)[number];
export type BudgetLimit = z.output<typeof budgetLimitSchema>;
export type OnExceeded = z.output<typeof onExceededSchema>;
/** A feature's budget as the user writes it. */
export type FeatureBudgetConfig = z.input<typeof featureBudgetSchema>;
/** A validated feature budget, defaults filled in. */
export type FeatureBudget = z.output<typeof featureBudgetSchema>;
