import type { ChatRequest } from '../config/request.js';
import { timeoutOptionsSchema, type DefaultsConfig, type FeatureConfig } from '../config/schema.js';
import { createKeel, type Keel, type KeelOptions } from '../pipeline/keel.js';
import type { Provider } from '../provider/provider.js';
import { systemClock } from '../util/clock.js';
import type { UnreadStreamRule } from './raw-stream.js';
import { MODEL_FROM_CALL } from './model-from-call.js';

/**
 * A feature's policies for a wrapped client: everything `createKeel` takes except `models`,
 * because the model comes from each call's `model`.
 */
export type WrapFeatureConfig = Omit<FeatureConfig, 'models'> & {
  /**
   * Models of the same provider to fall back to, in order, when the call's own model fails with
   * a kind another model could fix (`overloaded`, `server`, `timeout`, `circuit_open`…).
   */
  readonly fallbackModels?: readonly string[] | undefined;
};

/**
 * The options shared by the drop-in wrappers (`wrapOpenAI`, `wrapAnthropic`). They live in core
 * because every adapter's wrapper uses them, and adapters may not import each other.
 */
export interface WrapOptions {
  /** The feature a call belongs to when its body names none (`keel.feature`). */
  readonly feature: string;
  /**
   * Policies per feature name. The default feature needs no entry; any other feature a call
   * names must be listed here (an unknown feature is a `bad_request`).
   */
  readonly features?: Readonly<Record<string, WrapFeatureConfig>> | undefined;
  /** Defaults every feature inherits, and the breaker / retry-budget settings. */
  readonly defaults?: DefaultsConfig | undefined;
  /** The rest of `createKeel`'s options: `clock`, `onEvent`, `telemetry`, `dangerouslyLogPrompts`. */
  readonly keel?: Omit<KeelOptions, 'providers' | 'features' | 'defaults'> | undefined;
}

/** Keel fields a call may add to its body under `keel`. They are removed before sending. */
export interface KeelCallOptions {
  /** The feature whose policies apply to this call. @default the wrapper's `feature` */
  readonly feature?: string | undefined;
  /** End user, for per-user budgets and limits. */
  readonly user?: string | undefined;
  /** Tenant, for per-tenant budgets. */
  readonly tenant?: string | undefined;
  /** Total time for this call in milliseconds; tightens the feature's `timeouts.totalMs`. */
  readonly deadlineMs?: number | undefined;
  /** Per-call cache controls (bypass, refresh, a stricter semantic threshold; docs/caching.md). */
  readonly cache?: ChatRequest['cache'];
}

/** The extra top-level body field a wrapped client accepts. */
export interface WithKeel {
  readonly keel?: KeelCallOptions | undefined;
}

/** One provider, one feature per name, each feature's primary model taken from the call. */
export function buildWrapKeel(provider: Provider, options: WrapOptions): Keel {
  const features: Record<string, FeatureConfig> = {};
  for (const name of new Set([options.feature, ...Object.keys(options.features ?? {})])) {
    const { fallbackModels = [], ...policies } = options.features?.[name] ?? {};
    const models = [MODEL_FROM_CALL, ...fallbackModels].map((model) => ({ provider: provider.id, model }));
    features[name] = { ...policies, models };
  }
  return createKeel({ ...options.keel, providers: [provider], features, defaults: options.defaults });
}

/** The Keel half of a request: feature, model, user, tenant and deadline (`model` checked by `parseDropInBody`). */
export function callFields(
  call: KeelCallOptions | undefined,
  defaultFeature: string,
  model: string,
): Pick<ChatRequest, 'feature' | 'model' | 'user' | 'tenant' | 'deadlineMs' | 'cache'> {
  return {
    feature: call?.feature ?? defaultFeature,
    model,
    ...(call?.user !== undefined ? { user: call.user } : {}),
    ...(call?.tenant !== undefined ? { tenant: call.tenant } : {}),
    ...(call?.deadlineMs !== undefined ? { deadlineMs: call.deadlineMs } : {}),
    ...(call?.cache !== undefined ? { cache: call.cache } : {}),
  };
}

/**
 * When a drop-in stream nobody reads gives its budget hold back: the feature's
 * `timeouts.firstTokenMs` after it was handed out, on the wrapper's clock. Built once per
 * wrapper (the options are fixed by then), so a call reads its feature's rule and parses nothing.
 */
export function unreadStreamRules(options: WrapOptions): (feature: string) => UnreadStreamRule {
  const clock = options.keel?.clock ?? systemClock;
  const ruleOf = (timeouts: FeatureConfig['timeouts']): UnreadStreamRule => ({
    clock,
    firstReadMs: timeoutOptionsSchema.parse({ ...options.defaults?.timeouts, ...timeouts }).firstTokenMs,
  });
  const fallback = ruleOf(undefined);
  const byFeature = new Map(Object.entries(options.features ?? {}).map(([name, feature]) => [name, ruleOf(feature?.timeouts)]));
  return (feature) => byFeature.get(feature) ?? fallback;
}
