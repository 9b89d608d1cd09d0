import type { z } from 'zod';
import { KeelError } from '../errors/keel-error.js';
import type { Provider } from '../provider/provider.js';
import {
  breakerOptionsSchema,
  defaultsSchema,
  featureSchema,
  retryBudgetOptionsSchema,
  retryOptionsSchema,
  timeoutOptionsSchema,
  type BreakerOptions,
  type DefaultsConfig,
  type FeatureConfig,
  type ResolvedFeature,
  type RetryBudgetOptions,
} from './schema.js';

/** Formats zod issues as `path: message` lines, for a `bad_request` KeelError. */
export function formatIssues(error: z.ZodError, prefix = ''): string[] {
  return error.issues.map((issue) => {
    const path = [prefix, ...issue.path.map(String)].filter(Boolean).join('.');
    return path ? `${path}: ${issue.message}` : issue.message;
  });
}

export interface ResolvedConfig {
  readonly features: ReadonlyMap<string, ResolvedFeature>;
  readonly breaker: BreakerOptions;
  readonly retryBudget: RetryBudgetOptions;
}

/**
 * Validates the whole configuration once, at `createKeel` time, and fills in defaults so the
 * per-call path never re-parses it. Every problem is reported at once.
 */
export function resolveConfig(
  providers: ReadonlyMap<string, Provider>,
  features: Readonly<Record<string, FeatureConfig>>,
  defaults: DefaultsConfig | undefined,
): ResolvedConfig {
  const issues: string[] = [];
  const parsedDefaults = defaultsSchema.safeParse(defaults ?? {});
  if (!parsedDefaults.success) issues.push(...formatIssues(parsedDefaults.error, 'defaults'));
  const base = parsedDefaults.success ? parsedDefaults.data : {};

  const resolved = new Map<string, ResolvedFeature>();
  if (Object.keys(features).length === 0) issues.push('features: at least one feature is required');
  for (const [name, config] of Object.entries(features)) {
    const parsed = featureSchema.safeParse(config);
    if (!parsed.success) {
      issues.push(...formatIssues(parsed.error, `features.${name}`));
      continue;
    }
    parsed.data.models.forEach((ref, i) => {
      if (!providers.has(ref.provider)) {
        issues.push(
          `features.${name}.models.${i}.provider: unknown provider "${ref.provider}" (known: ${[...providers.keys()].join(', ') || 'none'})`,
        );
      }
    });
    resolved.set(name, {
      name,
      models: parsed.data.models,
      maxTokens: parsed.data.maxTokens,
      temperature: parsed.data.temperature,
      retry: retryOptionsSchema.parse({ ...base.retry, ...parsed.data.retry }),
      timeouts: timeoutOptionsSchema.parse({ ...base.timeouts, ...parsed.data.timeouts }),
    });
  }
  if (issues.length > 0) {
    throw new KeelError('bad_request', `Invalid Keel configuration:\n  ${issues.join('\n  ')}`, { issues });
  }
  return {
    features: resolved,
    breaker: breakerOptionsSchema.parse(base.breaker ?? {}),
    retryBudget: retryBudgetOptionsSchema.parse(base.retryBudget ?? {}),
  };
}
