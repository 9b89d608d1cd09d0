import { describe, expect, it } from 'vitest';
import { featureBudgetSchema } from '../../src/budgets/index.js';

function issues(input: unknown): string[] {
  const parsed = featureBudgetSchema.safeParse(input);
  return parsed.success ? [] : parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
}

describe('featureBudgetSchema', () => {
  it('accepts every window, unit and scope, and defaults to refuse', () => {
    const parsed = featureBudgetSchema.parse({
      limits: [
        { scope: 'feature', unit: 'tokens', limit: 1_000_000, window: 'day' },
        { scope: 'user', unit: 'usd', limit: 5, window: 'month' },
        { scope: 'tenant', unit: 'tokens', limit: 10_000, window: { sliding: 60_000 } },
        { scope: 'global', unit: 'usd', limit: 100, window: 'hour' },
        { scope: 'feature', unit: 'tokens', limit: 5_000, window: 'minute' },
      ],
      perRequest: { maxTokens: 8_000, maxUsd: 0.5 },
    });
    expect(parsed.onExceeded).toBe('refuse');
    expect(featureBudgetSchema.parse({}).limits).toEqual([]);
    expect(featureBudgetSchema.parse({ onExceeded: { clamp: { minOutputTokens: 64 } } }).onExceeded).toEqual({ clamp: { minOutputTokens: 64 } });
    expect(featureBudgetSchema.parse({ onExceeded: { degrade: { model: 'gpt-4o-mini' } } }).onExceeded).toEqual({ degrade: { model: 'gpt-4o-mini' } });
  });

  it('explains a negative or zero limit', () => {
    expect(issues({ limits: [{ scope: 'feature', unit: 'tokens', limit: -5, window: 'day' }] })).toEqual([
      'limits.0.limit: limit must be > 0 (to block a feature, remove its models instead)',
    ]);
    expect(issues({ limits: [{ scope: 'feature', unit: 'tokens', limit: 0, window: 'day' }] })).toHaveLength(1);
  });

  it('explains an unknown scope', () => {
    expect(issues({ limits: [{ scope: 'team', unit: 'tokens', limit: 5, window: 'day' }] })).toEqual([
      'limits.0.scope: unknown scope "team": use "feature", "user" (feature × user), "tenant" (feature × tenant) or "global"',
    ]);
  });

  it('explains an unknown window, and a bad sliding length', () => {
    expect(issues({ limits: [{ scope: 'user', unit: 'tokens', limit: 5, window: 'week' }] })).toEqual([
      'limits.0.window: unknown window "week": use "minute", "hour", "day" or "month" (UTC calendar) or { sliding: milliseconds }',
    ]);
    expect(issues({ limits: [{ scope: 'user', unit: 'tokens', limit: 5, window: { sliding: -1 } }] })).toEqual([
      'limits.0.window.sliding: sliding must be > 0 milliseconds',
    ]);
  });

  it('explains an unknown unit, a bad onExceeded and unknown keys', () => {
    expect(issues({ limits: [{ scope: 'user', unit: 'eur', limit: 5, window: 'day' }] })).toEqual([
      'limits.0.unit: unknown unit "eur": use "tokens" or "usd"',
    ]);
    expect(issues({ onExceeded: 'explode' })).toEqual([
      'onExceeded: onExceeded must be "refuse", { clamp: { minOutputTokens } } or { degrade: { model, provider? } }',
    ]);
    expect(issues({ onExceeded: { clamp: { minOutputTokens: 0 } } })).toEqual(['onExceeded.clamp.minOutputTokens: minOutputTokens must be ≥ 1']);
    expect(issues({ limit: [] })).toHaveLength(1);
  });

  it('rejects two limits that would share one counter', () => {
    expect(
      issues({
        limits: [
          { scope: 'user', unit: 'tokens', limit: 5, window: 'day' },
          { scope: 'user', unit: 'tokens', limit: 9, window: 'day' },
          { scope: 'user', unit: 'tokens', limit: 9, window: 'hour' },
        ],
      }),
    ).toEqual(['limits.1: duplicates limits.0 (same scope, unit and window); keep only the tighter one']);
  });
});
