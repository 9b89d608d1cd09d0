import { z } from 'zod';
import type { CompiledBudget } from '../budgets/plan.js';
import { featureBudgetSchema } from '../budgets/schema.js';
import type { CompiledRateLimits } from '../rate-limits/plan.js';
import { featureRateLimitsSchema } from '../rate-limits/schema.js';
import { cascadeSchema } from '../pipeline/cascade-schema.js';
import { featureCacheSchema, type ResolvedCache } from '../cache/schema.js';
import { bulkheadsSchema, failoverOptionsSchema, type ResolvedFailover } from './failover-schema.js';

/**
 * The longest delay a timer can hold: Node clamps anything above 2^31−1 ms to 1 ms, so a longer
 * timeout would fire at once instead of never. Every duration that becomes a timer or a wait is
 * capped here and rejected at `createKeel` (and per request) rather than silently misfiring.
 */
export const MAX_TIMER_MS = 2_147_483_647;

/** A whole number of milliseconds that a timer can actually wait. */
export const timerMsSchema = () =>
  z.number().int().max(MAX_TIMER_MS, `at most ${MAX_TIMER_MS} ms (2^31−1, the longest delay a timer can wait)`);

/** Retry policy options. All durations in milliseconds. */
export const retryOptionsSchema = z
  .object({
    /** Attempts per candidate model, the first included. @default 3 */
    maxAttempts: z.number().int().min(1).max(20).default(3),
    /** Base of the full-jitter exponential backoff. @default 250 */
    baseDelayMs: timerMsSchema().min(0).default(250),
    /** Cap of one backoff wait. @default 8000 */
    maxDelayMs: timerMsSchema().min(0).default(8_000),
    /** Cap of a server-directed wait (retry-after); a longer ask fails now. @default 30000 */
    maxServerWaitMs: timerMsSchema().min(0).default(30_000),
  })
  .strict();

/** Timeouts, in milliseconds. */
export const timeoutOptionsSchema = z
  .object({
    /**
     * The whole call: every attempt, every wait and, for streams, the time the consumer spends
     * on each part (it is the caller's total budget). @default 60000
     */
    totalMs: timerMsSchema().positive().default(60_000),
    /** One non-streamed attempt. @default 30000 */
    attemptMs: timerMsSchema().positive().default(30_000),
    /** Streams: from the start of an attempt to its first token. @default 15000 */
    firstTokenMs: timerMsSchema().positive().default(15_000),
    /**
     * Streams, after the first token: the longest the provider may stay silent while Keel waits
     * for its next part. Time the consumer spends holding a part does not count. @default 15000
     */
    idleMs: timerMsSchema().positive().default(15_000),
    /**
     * No attempt (first, retry or fallback) starts with less than this left of the deadline:
     * an LLM request rarely returns even its first byte sooner, so a shorter attempt would only
     * be cut by the deadline and turn the previous, informative error into a bare `timeout`.
     * Capped per call at half its deadline, so a call with a very short `deadlineMs` still gets
     * its first attempt. @default 250
     */
    minAttemptMs: timerMsSchema().positive().default(250),
  })
  .strict();

/** Circuit breaker options; one breaker per provider+model (see docs/architecture.md). */
export const breakerOptionsSchema = z
  .object({
    /** Opens when failures / attempts in the window exceed this ratio. @default 0.5 */
    failureRatio: z.number().gt(0).max(1).default(0.5),
    /** Rolling window for the ratio, in milliseconds (10 buckets). @default 10000 */
    windowMs: timerMsSchema().min(10).default(10_000),
    /** Attempts needed in the window before the ratio counts. @default 10 */
    minimumAttempts: z.number().int().min(1).default(10),
    /**
     * Opens after this many counted failures in a row, however sparse the traffic (the ratio
     * needs `minimumAttempts` inside one window). Neutral outcomes neither add nor reset. @default 5
     */
    consecutiveFailures: z.number().int().min(1).default(5),
    /** How long the breaker stays open before admitting a probe, in milliseconds. @default 5000 */
    halfOpenAfterMs: timerMsSchema().positive().default(5_000),
    /**
     * Most breakers kept in memory (least recently used closed ones are forgotten first; see
     * docs/architecture.md). Open and half-open breakers are kept in a second tier of the same
     * size. @default 1000
     */
    maxBreakers: z.number().int().min(1).default(1_000),
  })
  .strict();

/** Retry budget per provider: retries stay a small share of calls so an outage cannot multiply load. */
export const retryBudgetOptionsSchema = z
  .object({
    /** Retries allowed as a share of calls in the window. @default 0.2 */
    ratio: z.number().min(0).max(10).default(0.2),
    /** Retries always allowed per window, so a quiet service can still retry. @default 10 */
    minRetries: z.number().int().min(0).default(10),
    /** Window length in milliseconds. @default 10000 */
    windowMs: timerMsSchema().positive().default(10_000),
  })
  .strict();

/**
 * 4 MiB of prompt text: about a million tokens, past every hosted model's context window, so
 * only a runaway request (a whole file pasted in a loop) meets it.
 */
export const DEFAULT_MAX_REQUEST_BYTES = 4 * 1024 * 1024;

export const modelRefSchema = z
  .object({
    provider: z.string().min(1),
    model: z.string().min(1),
    /**
     * The model's context window in tokens (prompt + output), overriding Keel's catalog
     * (`models/context-windows.ts`); used to fall over only to a larger window on `context_length`.
     */
    contextWindow: z.number().int().positive().optional(),
    /**
     * Whether this model continues a trailing assistant message (mid-stream recovery by
     * continuation). @default true for the `anthropic` and `llamacpp` providers, else false
     */
    prefill: z.boolean().optional(),
  })
  .strict();

export const featureSchema = z
  .object({
    /** Candidates in order: the first is primary, later ones are fallbacks. */
    models: z.array(modelRefSchema).min(1),
    /** Default output cap for this feature's calls. */
    maxTokens: z.number().int().positive().optional(),
    temperature: z.number().min(0).max(2).optional(),
    /**
     * Largest prompt this feature sends, in UTF-8 bytes of message text; a larger request is a
     * `bad_request` before anything is counted or sent. @default 4194304 (4 MiB)
     */
    maxRequestBytes: z.number().int().positive().default(DEFAULT_MAX_REQUEST_BYTES),
    retry: retryOptionsSchema.partial().optional(),
    timeouts: timeoutOptionsSchema.partial().optional(),
    /** What each error kind does (retry, fail over, fail) and mid-stream recovery (see docs/failover.md). */
    failover: failoverOptionsSchema.partial().optional(),
    /** Token / USD budgets reserved before every call (see docs/budgets.md). */
    budget: featureBudgetSchema.optional(),
    /** Tokens and requests per minute, per feature / user / tenant / globally. */
    rateLimits: featureRateLimitsSchema.optional(),
    /** `models` are cascade steps, cheap → strong, judged by a quality gate (see docs/cascades.md). */
    cascade: cascadeSchema.optional(),
    /** Exact (and optionally semantic) answer cache, off unless set (see docs/caching.md). */
    cache: featureCacheSchema.optional(),
  })
  .strict();

export const defaultsSchema = z
  .object({
    retry: retryOptionsSchema.partial().optional(),
    timeouts: timeoutOptionsSchema.partial().optional(),
    failover: failoverOptionsSchema.partial().optional(),
    /** Per provider id: `{ maxConcurrent, maxQueue }` (see docs/failover.md). */
    bulkheads: bulkheadsSchema.optional(),
    breaker: breakerOptionsSchema.partial().optional(),
    retryBudget: retryBudgetOptionsSchema.partial().optional(),
  })
  .strict();

const isFunction = (value: unknown): boolean => typeof value === 'function';

/** What createKeel needs of a provider before any call can reach it. */
export const providerShapeSchema = z.looseObject(
  {
    id: z.string().min(1),
    chat: z.custom(isFunction, 'expected a function'),
    stream: z.custom(isFunction, 'expected a function'),
  },
  { error: 'expected a provider object' },
);

/**
 * The top level of createKeel's options, checked before anything else reads them. Loose: the
 * other options are checked where they are used.
 */
export const keelOptionsShapeSchema = z.looseObject(
  {
    providers: z.array(providerShapeSchema, { error: 'expected an array of providers' }),
    features: z.record(z.string(), z.unknown(), { error: 'expected an object of features by name' }),
  },
  { error: 'createKeel expects an options object' },
);

export type RetryOptions = z.output<typeof retryOptionsSchema>;
export type TimeoutOptions = z.output<typeof timeoutOptionsSchema>;
export type BreakerOptions = z.output<typeof breakerOptionsSchema>;
export type RetryBudgetOptions = z.output<typeof retryBudgetOptionsSchema>;
export type ModelRef = z.output<typeof modelRefSchema>;
/** A feature's configuration as the user writes it. */
export type FeatureConfig = z.input<typeof featureSchema>;
export type DefaultsConfig = z.input<typeof defaultsSchema>;

/** A feature with every default filled in. */
export interface ResolvedFeature {
  readonly name: string;
  readonly models: readonly ModelRef[];
  readonly maxTokens: number | undefined;
  readonly temperature: number | undefined;
  readonly maxRequestBytes: number;
  readonly retry: RetryOptions;
  readonly timeouts: TimeoutOptions;
  readonly failover: ResolvedFailover;
  /** Compiled once at createKeel; absent when the feature has no budget. */
  readonly budget: CompiledBudget | undefined;
  /** The feature's cache, when it has one. */
  readonly cache: ResolvedCache | undefined;
  readonly rateLimits: CompiledRateLimits | undefined;
}
