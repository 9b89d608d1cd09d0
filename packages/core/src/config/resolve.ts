import type { z } from 'zod';
import { KeelError } from '../errors/keel-error.js';
import { compileFeatureBudget } from '../budgets/plan.js';
import { MODEL_FROM_CALL } from '../drop-in/model-from-call.js';
import { unpricedIssues } from '../pricing/assert-priced.js';
import type { PriceCatalog } from '../pricing/table.js';
import type { Provider } from '../provider/provider.js';
import { compileRateLimits } from '../rate-limits/plan.js';
import { resolveFailover } from './failover-schema.js';
import {
  breakerOptionsSchema,
  defaultsSchema,
  featureSchema,
  keelOptionsShapeSchema,
  retryBudgetOptionsSchema,
  retryOptionsSchema,
  timeoutOptionsSchema,
  type BreakerOptions,
  type DefaultsConfig,
  type FeatureConfig,
  type ResolvedFeature,
  type RetryBudgetOptions,
} from './schema.js';

type ParsedFeature = z.output<typeof featureSchema>;

/**
 * Cross-field checks a schema cannot do alone: a budget reserves `maxTokens` of output, so the
 * feature needs one; a degrade target must name a known provider; and a money budget on a model
 * without a price would silently count $0, so every model it may price must be priced.
 */
function budgetIssues(name: string, feature: ParsedFeature, providers: ReadonlyMap<string, Provider>, prices: PriceCatalog): string[] {
  const budget = feature.budget!;
  const issues: string[] = [];
  const at = `features.${name}`;
  if (feature.maxTokens === undefined) {
    issues.push(`${at}.maxTokens: required when the feature has a budget (Keel reserves input + maxTokens before each call)`);
  }
  const uses = feature.models.map((ref, i) => ({ path: `${at}.models.${i}`, provider: ref.provider, model: ref.model }));
  if (typeof budget.onExceeded === 'object' && 'degrade' in budget.onExceeded) {
    const target = { provider: budget.onExceeded.degrade.provider ?? feature.models[0]!.provider, model: budget.onExceeded.degrade.model };
    if (!providers.has(target.provider)) {
      issues.push(`${at}.budget.onExceeded.degrade.provider: unknown provider "${target.provider}"`);
    }
    uses.push({ path: `${at}.budget.onExceeded.degrade`, ...target });
  }
  const needsPrice = budget.limits.some((limit) => limit.unit === 'usd') || budget.perRequest?.maxUsd !== undefined;
  // A model that comes from each call is priced when the call names it (pipeline/admission.ts).
  if (needsPrice) issues.push(...unpricedIssues(prices, uses.filter((use) => use.model !== MODEL_FROM_CALL)));
  return issues;
}

/** Formats zod issues as `path: message` lines, for a `bad_request` KeelError. */
export function formatIssues(error: z.ZodError, prefix = ''): string[] {
  return error.issues.map((issue) => {
    const path = [prefix, ...issue.path.map(String)].filter(Boolean).join('.');
    return path ? `${path}: ${issue.message}` : issue.message;
  });
}

/** A configuration error listing every problem (createKeel's one shape for them). */
export function configError(issues: readonly string[]): KeelError {
  return new KeelError('bad_request', `Invalid Keel configuration:\n  ${issues.join('\n  ')}`, { issues: [...issues] });
}

/**
 * Checks the top level of createKeel's options (an options object, an array of providers each
 * with an id, `chat` and `stream`, a features object) and indexes the providers by id. Runs
 * first, so a malformed configuration is a `bad_request` rather than a TypeError, or a `server`
 * error at the first call.
 */
export function resolveProviders(options: unknown): ReadonlyMap<string, Provider> {
  const parsed = keelOptionsShapeSchema.safeParse(options);
  if (!parsed.success) throw configError(formatIssues(parsed.error));
  const providers = new Map<string, Provider>();
  // The caller's own objects, not zod's copies: a provider may be a class instance.
  for (const provider of (options as { providers: readonly Provider[] }).providers) {
    if (providers.has(provider.id)) throw configError([`providers: duplicate id "${provider.id}" (two providers share the id)`]);
    providers.set(provider.id, provider);
  }
  return providers;
}

export interface ResolvedConfig {
  readonly features: ReadonlyMap<string, ResolvedFeature>;
  readonly breaker: BreakerOptions;
  readonly retryBudget: RetryBudgetOptions;
  /** Per provider id; empty when no bulkhead is configured. */
  readonly bulkheads: Readonly<Record<string, { readonly maxConcurrent: number; readonly maxQueue: number }>>;
}

/**
 * Validates the whole configuration once, at `createKeel` time, and fills in defaults so the
 * per-call path never re-parses it. Every problem is reported at once.
 */
export function resolveConfig(
  providers: ReadonlyMap<string, Provider>,
  features: Readonly<Record<string, FeatureConfig>>,
  defaults: DefaultsConfig | undefined,
  prices: PriceCatalog,
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
    const { budget, rateLimits } = parsed.data;
    if (budget) issues.push(...budgetIssues(name, parsed.data, providers, prices));
    resolved.set(name, {
      name,
      models: parsed.data.models,
      maxTokens: parsed.data.maxTokens,
      temperature: parsed.data.temperature,
      maxRequestBytes: parsed.data.maxRequestBytes,
      retry: retryOptionsSchema.parse({ ...base.retry, ...parsed.data.retry }),
      timeouts: timeoutOptionsSchema.parse({ ...base.timeouts, ...parsed.data.timeouts }),
      failover: resolveFailover(base.failover, parsed.data.failover),
      budget: budget && budget.limits.length + (budget.perRequest ? 1 : 0) > 0 ? compileFeatureBudget(name, budget) : undefined,
      rateLimits: rateLimits && rateLimits.length > 0 ? compileRateLimits(name, rateLimits) : undefined,
      cache: parsed.data.cache,
    });
  }
  if (issues.length > 0) {
    throw configError(issues);
  }
  return {
    features: resolved,
    breaker: breakerOptionsSchema.parse(base.breaker ?? {}),
    retryBudget: retryBudgetOptionsSchema.parse(base.retryBudget ?? {}),
    bulkheads: base.bulkheads ?? {},
  };
}
