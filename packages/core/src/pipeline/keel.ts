import { randomUUID } from 'node:crypto';
import { configError, resolveConfig, resolveProviders } from '../config/resolve.js';
import { validateRequest, type ChatRequest, type ValidatedRequest } from '../config/request.js';
import type { DefaultsConfig, FeatureConfig, ModelRef, ResolvedFeature } from '../config/schema.js';
import { KeelError } from '../errors/keel-error.js';
import { EventHub, type KeelEventListener } from '../events/events.js';
import type { Provider, ProviderRequest, ProviderResponse } from '../provider/provider.js';
import { BreakerRegistry, circuitBreakerPolicy, type BreakerSnapshot } from '../policies/circuit-breaker.js';
import { retryPolicy } from '../policies/retry.js';
import { Bulkhead, bulkheadPolicy } from '../policies/bulkhead.js';
import { RetryBudget } from '../policies/retry-budget.js';
import { attemptFloorMs, attemptTimeoutPolicy, NEVER_ABORTS } from '../policies/timeout.js';
import { systemClock, type Clock } from '../util/clock.js';
import { createInMemoryBudgetStore } from '../budgets/memory-store.js';
import type { BudgetStore } from '../budgets/store.js';
import { createPriceCatalog } from '../pricing/table.js';
import type { PriceTableInput } from '../pricing/schema.js';
import { createInMemoryRateLimitStore } from '../rate-limits/memory-store.js';
import type { RateLimitStore } from '../rate-limits/store.js';
import { createTokenCounter } from '../tokens/counter.js';
import { estimateTextTokens, estimateTokens } from '../tokens/estimate.js';
import { createAdmission, NOTHING_SERVED, settleCall, type BudgetHold, type HoldSettled, type RateTicket } from './admission.js';
import { announceCall, announceFinish } from './call-events.js';
import { candidatesFor, fallbackPlan, withFallback, type FallbackPlan } from './candidates.js';
import { candidatesOf, chargeCandidate } from './candidate-log.js';
import { compose } from './compose.js';
import type { AttemptContext, CallState } from './context.js';
import type { ChatResult } from './result.js';
import { readCommitted, type PostCommitOptions } from './committed-stream.js';
import type { KeelStream, StreamEvent } from './stream.js';
import { checkRequestSize } from './request-size.js';
import { openStreamAttempt } from './stream-attempt.js';
import { createStreamMeter } from './stream-meter.js';
import { createStreamRecovery } from './stream-recovery.js';
import { disposeLeg, Hedger, hedgeFor } from './hedge.js';
import { nextHoldId } from './hold-id.js';
import { createKeelStream } from './keel-stream.js';
import { createCacheStage, type CachedCall } from '../cache/stage.js';
import { planCache } from '../cache/plan.js';
import { createMemoryCacheStore } from '../cache/memory-store.js';
import type { ExactCacheStore } from '../cache/store.js';
import type { SemanticLayer } from '../cache/semantic-layer.js';
import { runObject, type ObjectRequest, type ObjectResult } from '../structured/object.js';
import { streamObject, type ObjectStream } from '../structured/object-stream.js';
import { structuredFeatures } from '../structured/keel-hooks.js';
import { withStepRequest } from '../structured/native.js';
import type { StepOptions } from '../structured/step-options.js';

/**
 * A result's usage when the provider reported none: what the budget charged when there is one,
 * else a tokenizer-free estimate. `usageEstimated` flags it; telemetry never sees it.
 */
function estimatedUsage(request: ValidatedRequest, text: string, settled: HoldSettled | undefined) {
  return settled?.charged ?? { inputTokens: estimateTokens(request.messages), outputTokens: estimateTextTokens(text) };
}

export interface KeelOptions {
  /** The providers features may name, by their `id`. */
  readonly providers: readonly Provider[];
  /** Per-feature configuration: models, timeouts, retries. */
  readonly features: Readonly<Record<string, FeatureConfig>>;
  /** Defaults every feature inherits, and the breaker / retry-budget settings. */
  readonly defaults?: DefaultsConfig | undefined;
  /** Where budgets are counted. @default an in-memory store (one process); see @keel/redis for many replicas */
  readonly budgetStore?: BudgetStore | undefined;
  /** Where rate limits are counted. @default an in-memory store */
  readonly rateLimitStore?: RateLimitStore | undefined;
  /**
   * Prices in USD per million tokens, merged over Keel's defaults per provider id and model:
   * `{ openai: { 'gpt-4o': { input: 2.5, output: 10 } } }`. A money budget on an unpriced model
   * is a configuration error.
   */
  readonly pricing?: PriceTableInput | undefined;
  /** Keel's time source. @default the system clock */
  readonly clock?: Clock | undefined;
  /** Shorthand for `keel.on(listener)`. */
  readonly onEvent?: KeelEventListener | undefined;
  /** OpenTelemetry spans and metrics: `createOpenTelemetry()` (or any event listener holder). */
  readonly telemetry?: { readonly listener: KeelEventListener } | undefined;
  /**
   * Put the prompt text itself on `call.started` events (and so into telemetry). Off by default:
   * events carry only a SHA-256 of the messages. @default false
   */
  readonly dangerouslyLogPrompts?: boolean | undefined;
  /** Where cached answers live, and the semantic layer, for features with `cache` (docs/caching.md). */
  readonly cache?: CacheOptions | undefined;
}

export interface CacheOptions {
  /** @default an in-memory lru-cache of 64 MiB (`createMemoryCacheStore`); see @keel/redis for many replicas */
  readonly store?: ExactCacheStore | undefined;
  /**
   * Similar-prompt matching for features with `cache.semantic` (`createSemanticCache`): one
   * layer for all of them, or one per feature name (each its own embedder and threshold policy).
   */
  readonly semantic?: SemanticLayer | Readonly<Record<string, SemanticLayer>> | undefined;
}

export interface StreamOptions {
  /** Also yield the SDK's own chunks as `raw` events (used by the drop-in wrappers). */
  readonly includeRaw?: boolean | undefined;
  /**
   * With `includeRaw`: leave the `text` events out, since the chunks carry the same text (what the
   * drop-ins read; it saves a pass through the stream's generators per chunk). `finish` still
   * carries the whole result. @default false
   */
  readonly rawOnly?: boolean | undefined;
}

export interface ChatOptions {
  /** Attach the SDK's own response object as `result.raw` (used by the drop-in wrappers). */
  readonly includeRaw?: boolean | undefined;
}

export interface Keel {
  /** One call, with every policy of its feature applied. */
  chat(request: ChatRequest, options?: ChatOptions): Promise<ChatResult>;
  /**
   * A streamed call. Retries happen invisibly until the first token; after it a failure ends
   * the stream with a KeelError carrying the partial text. Bad input throws at once.
   */
  stream(request: ChatRequest, options?: StreamOptions): KeelStream;
  /** A typed value checked by a zod schema, through the feature's cascade when it has one (docs/structured-output.md). */
  object<T>(request: ObjectRequest<T>): Promise<ObjectResult<T>>;
  /** The streamed variant of `object`: validated partial values, then `result()`. */
  objectStream<T>(request: ObjectRequest<T>): ObjectStream<T>;
  /** Subscribes to Keel's typed events; returns an unsubscribe function. */
  on(listener: KeelEventListener): () => void;
  /** Every circuit breaker held (at most `maxBreakers` closed plus `maxBreakers` tripped), with its state. */
  breakers(): BreakerSnapshot[];
  /** One breaker's state (closed if it has not been used yet). */
  breaker(provider: string, model: string): BreakerSnapshot;
  /**
   * Opens a closed breaker now, exactly as its own failures would (`breaker.opened` is emitted;
   * it half-opens after `halfOpenAfterMs`). For sharing breaker state across replicas
   * (@keel/redis `createRedisBreakerSync`).
   */
  tripBreaker(provider: string, model: string): void;
  /** Stops background timers (open breakers' half-open timers) and forgets every breaker. Calls after `close` are still served. */
  close(): void;
}


/**
 * Builds a Keel instance. The configuration is validated here, once; a bad one throws a
 * `bad_request` KeelError listing every problem.
 *
 * Policy order, outermost first: fallback over candidates → retry → circuit breaker →
 * attempt timeout (streams: time-to-first-token) → provider. Retry sits outside the breaker so
 * the breaker sees every attempt and an open breaker stops the retries at once.
 */
export function createKeel(options: KeelOptions): Keel {
  const providers = resolveProviders(options);
  const prices = createPriceCatalog({ overrides: options.pricing });
  const config = resolveConfig(providers, options.features, options.defaults, prices);
  const clock = options.clock ?? systemClock;
  const admission = createAdmission({
    budgets: options.budgetStore ?? createInMemoryBudgetStore({ clock }),
    rateLimits: options.rateLimitStore ?? createInMemoryRateLimitStore({ clock }),
    prices,
    counter: createTokenCounter(),
    clock,
  });
  const events = new EventHub();
  if (options.onEvent) events.subscribe(options.onEvent);
  if (options.telemetry) events.subscribe(options.telemetry.listener);
  const breakers = new BreakerRegistry(config.breaker, events, clock);
  const retryBudgets = new Map<string, RetryBudget>();
  const budgetFor = (provider: string) => {
    let budget = retryBudgets.get(provider);
    if (!budget) retryBudgets.set(provider, (budget = new RetryBudget(config.retryBudget, clock)));
    return budget;
  };
  const breakerPolicy = circuitBreakerPolicy(breakers);
  const bulkheads = new Map(Object.entries(config.bulkheads).map(([id, limits]) => [id, new Bulkhead(id, limits, clock)]));
  // Call ids: unique per instance (a random prefix) without a UUID per call; budget
  // reservations are keyed by them, so they stay unique across replicas sharing a store.
  const instanceId = randomUUID().slice(0, 8);
  let callCount = 0;
  // Policies are built once per feature, not per call.
  const chains = new Map<string, ReturnType<typeof buildChain>>();
  for (const feature of config.features.values()) chains.set(feature.name, buildChain(feature));
  const semanticOption = options.cache?.semantic;
  const sharedLayer = semanticOption && typeof (semanticOption as Partial<SemanticLayer>).lookup === 'function' ? (semanticOption as SemanticLayer) : undefined;
  const layersByFeature = sharedLayer ? undefined : (semanticOption as Readonly<Record<string, SemanticLayer>> | undefined);
  const semanticFor = (feature: string): SemanticLayer | undefined => sharedLayer ?? layersByFeature?.[feature];
  const needsSemantic = [...config.features.values()].filter((feature) => feature.cache?.semantic && !semanticFor(feature.name)).map((feature) => `features.${feature.name}.cache.semantic`);
  if (needsSemantic.length > 0) {
    throw configError(needsSemantic.map((at) => `${at}: needs a semantic layer (createKeel({ cache: { semantic: createSemanticCache(...) } }))`));
  }
  // The cache stage exists only when some feature caches: no cost for the others.
  const cacheStage = [...config.features.values()].some((feature) => feature.cache)
    ? createCacheStage({
        store: options.cache?.store ?? createMemoryCacheStore({ clock }),
        semanticFor,
        clock,
        events,
        finish: (call, stream, result) =>
          announceFinish(events, breakers, call, stream, { provider: result.provider, model: result.model, finishReason: result.finishReason, costUsd: 0, cached: true, similarity: result.similarity }),
      })
    : undefined;

  /** The call's cache plan, when its feature caches and the call may use it. */
  function cacheFor(begun: Begun, step: StepOptions, includeRaw: boolean, stream: boolean): CachedCall | undefined {
    if (!cacheStage || !begun.feature.cache) return undefined;
    const shape = includeRaw ? (stream ? 'raw-chunks' : 'raw-response') : 'keel';
    const decision = planCache(begun.feature, begun.validated, shape, step, semanticFor(begun.feature.name) !== undefined);
    if (!decision) return undefined;
    if ('skipped' in decision) {
      // After call.started: a stream not yet read says it when it is announced.
      if (begun.announced) announceSkipped(begun.call, decision.skipped);
      else begun.cacheSkipped = decision.skipped;
      return undefined;
    }
    return { plan: decision.plan, call: begun.call, signal: begun.validated.signal, deadline: begun.deadline };
  }

  function buildChain(feature: ResolvedFeature) {
    const openStream = openStreamAttempt(feature.timeouts);
    const retry = retryPolicy({ ...feature.retry, minAttemptMs: feature.timeouts.minAttemptMs, budgetFor, actions: feature.failover.actions });
    return {
      hedger: feature.failover.hedge ? new Hedger(feature.failover.hedge, clock) : undefined,
      chat: compose([retry, bulkheadPolicy(bulkheads, feature.timeouts.minAttemptMs), breakerPolicy, attemptTimeoutPolicy(feature.timeouts.attemptMs)], (ctx) => {
        ctx.call.sent = true;
        return ctx.target.provider.chat(ctx.target.request, ctx);
      }),
      stream: compose([retry, bulkheadPolicy(bulkheads, feature.timeouts.minAttemptMs), breakerPolicy], (ctx) => {
        ctx.call.sent = true;
        return openStream(ctx);
      }),
    };
  }

  function begin(request: ChatRequest, stream: boolean) {
    const validated = validateRequest(request);
    const feature = config.features.get(validated.feature);
    if (!feature) {
      const known = [...config.features.keys()].join(', ');
      throw new KeelError('bad_request', `Unknown feature "${validated.feature}" (known: ${known})`, {
        issues: [`feature: unknown feature "${validated.feature}"`],
      });
    }
    checkRequestSize(feature, validated);
    const startedAt = clock.now();
    const call: CallState = { id: `${instanceId}-${(++callCount).toString(36)}`, feature: feature.name, user: validated.user, tenant: validated.tenant, startedAt, clock, events, attempts: [], sent: false, candidatesLeft: 0, candidateLog: [], holds: 0 };
    const totalMs = Math.min(feature.timeouts.totalMs, validated.deadlineMs ?? Infinity);
    const deadline = startedAt + totalMs;
    // The least time an attempt needs left to start (`timeouts.minAttemptMs`, see attemptFloorMs).
    const floorMs = attemptFloorMs(feature.timeouts.minAttemptMs, startedAt, deadline);
    const begun = { validated, feature, call, deadline, floorMs, chain: chains.get(feature.name)!, stream, announced: false, cacheSkipped: undefined as string | undefined };
    // A stream is announced at its first read (announceStart): one never read is a call never made.
    if (!stream) announceStart(begun);
    return begun;
  }

  /** Emits `call.started`, once per call. */
  function announceStart(begun: Begun): void {
    if (begun.announced) return;
    begun.announced = true;
    const { call, validated, feature, stream } = begun;
    if (!events.active) return;
    announceCall(events, { call, request: validated, primary: candidatesFor(feature, validated.model)[0]!, feature, stream, logPrompts: options.dangerouslyLogPrompts ?? false });
    if (begun.cacheSkipped !== undefined) announceSkipped(call, begun.cacheSkipped);
  }

  function announceSkipped(call: CallState, reason: string): void {
    if (events.active) events.emit({ type: 'cache.skipped', callId: call.id, feature: call.feature, at: clock.now(), reason });
  }

  function providerRequest(
    validated: ValidatedRequest,
    feature: ResolvedFeature,
    candidate: ModelRef,
    includeRaw: boolean,
    hold: BudgetHold | undefined,
  ): ProviderRequest {
    return {
      model: candidate.model,
      messages: validated.messages,
      maxTokens: hold?.maxTokens ?? validated.maxTokens ?? feature.maxTokens,
      temperature: validated.temperature ?? feature.temperature,
      extra: validated.extra,
      includeRaw,
    };
  }

  function context(call: CallState, candidate: ModelRef, deadline: number, signal: AbortSignal | undefined, request: ProviderRequest): AttemptContext {
    const target = { provider: providers.get(candidate.provider)!, request };
    return { signal: signal ?? NEVER_ABORTS, deadline, attempt: 1, provider: candidate.provider, model: candidate.model, call, target };
  }

  /** The candidates a call falls back over: the feature's, or the one a cascade step names. */
  function planFor(feature: ResolvedFeature, validated: ValidatedRequest, step: StepOptions): FallbackPlan {
    const plan = fallbackPlan(feature, validated);
    return step.candidates ? { ...plan, candidates: step.candidates } : plan;
  }

  /**
   * The admission step for one candidate: its budget hold (maybe degraded or clamped). A feature
   * without a budget has nothing to admit, and its callers do not await it (`unbudgeted`): no
   * promise ticks on that hot path.
   */
  async function admit(feature: ResolvedFeature, validated: ValidatedRequest, call: CallState, candidate: ModelRef, deadline: number) {
    const hold = await admission.reserve(feature, validated, candidate, nextHoldId(call), deadline);
    return { hold, target: hold?.candidate ?? candidate };
  }

  const unbudgeted = (candidate: ModelRef) => ({ hold: undefined, target: candidate });

  type Begun = ReturnType<typeof begin>;

  /** The cache stage first (a hit reaches no budget, rate limit or provider), then the call itself. */
  // Not `async`: an async function returning chatUpstream's promise would add three promise
  // ticks to every call. A synchronous throw (bad input) still reaches the caller as a rejection.
  function chat(request: ChatRequest, chatOptions: ChatOptions & StepOptions = {}): Promise<ChatResult> {
    try {
      const begun = begin(request, false);
      const cached = cacheFor(begun, chatOptions, chatOptions.includeRaw ?? false, false);
      return cached ? cacheStage!.chat(cached, () => chatUpstream(begun, chatOptions)) : chatUpstream(begun, chatOptions);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  async function chatUpstream(begun: Begun, chatOptions: ChatOptions & StepOptions): Promise<ChatResult> {
    const { validated, feature, call, deadline, floorMs, chain } = begun;
    let ticket: RateTicket | undefined;
    try {
      // A rate-limit wait must leave time for the attempt it admits.
      ticket = feature.rateLimits ? await admission.takeRateLimits(feature, validated, deadline - floorMs, validated.signal) : undefined;
      // A hedged pair's loser answers on its own signal: aborting it cancels its HTTP request.
      const hedge = chain.hedger
        ? hedgeFor(chain.hedger, 'chat', validated.signal, (lost: { response: ProviderResponse; target: ModelRef; settled: HoldSettled | undefined }) =>
            admission.cost(lost.target, lost.response.usage ?? lost.settled?.charged),
          )
        : undefined;
      const answered = await withFallback(planFor(feature, validated, chatOptions), call, deadline, floorMs, async (candidate, signal, request) => {
        // Without a budget there is nothing to admit or settle: no await for either.
        const { hold, target } = feature.budget ? await admit(feature, request, call, candidate, deadline) : unbudgeted(candidate);
        try {
          const response = await chain.chat(
            context(call, target, deadline, signal ?? validated.signal, withStepRequest(providerRequest(request, feature, target, chatOptions.includeRaw ?? false, hold), providers.get(target.provider), chatOptions)),
          );
          const served = { usage: response.usage, answered: true, text: response.text };
          return { response, target, settled: hold ? await settleCall(hold, undefined, served, true) : undefined };
        } catch (error) {
          if (hold) await settleCall(hold, undefined, NOTHING_SERVED, true);
          throw error;
        }
      }, hedge);
      chain.hedger?.observe(clock.now() - call.startedAt, 'chat');
      const { response, target, settled } = answered;
      const budgetRemaining = settled?.remaining;
      void settleCall(undefined, ticket, { usage: response.usage, answered: true, text: response.text }, true);
      const model = response.model || target.model;
      if (!response.usage) announceMissingUsage(call, false, target.provider, model, settled);
      const costUsd = admission.cost(target, response.usage);
      chargeCandidate(call, costUsd);
      const chatResult: ChatResult = {
        text: response.text,
        message: { role: 'assistant', content: response.text },
        finishReason: response.finishReason,
        usage: response.usage ?? estimatedUsage(validated, response.text, settled),
        ...(response.usage ? {} : { usageEstimated: true as const }),
        provider: target.provider,
        model,
        costUsd,
        budgetRemaining,
        attempts: [...call.attempts],
        candidates: candidatesOf(call),
        latencyMs: clock.now() - call.startedAt,
        raw: response.raw,
        ...(response.logprobs ? { logprobs: response.logprobs } : {}),
      };
      announceFinish(events, breakers, call, false, {
        provider: chatResult.provider,
        model: chatResult.model,
        // What the provider reported, not the zero-filled result: telemetry must not record 0s.
        usage: response.usage,
        finishReason: chatResult.finishReason,
        costUsd: chatResult.costUsd,
        budgetRemaining,
      });
      return chatResult;
    } catch (thrown) {
      void settleCall(undefined, ticket, NOTHING_SERVED, call.sent);
      const error = callError(thrown, validated.signal, call);
      announceFinish(events, breakers, call, false, { outcome: error.kind, provider: error.provider, model: error.model });
      throw error;
    }
  }

  /** Emits `usage.missing`: the provider answered without usable usage, so Keel charged its own count. */
  function announceMissingUsage(call: CallState, stream: boolean, provider: string, model: string, settled: HoldSettled | undefined) {
    if (!events.active) return;
    events.emit({ type: 'usage.missing', callId: call.id, feature: call.feature, at: clock.now(), stream, provider, model, charged: settled?.charged });
  }

  /**
   * The error a failed call ends with, carrying every attempt: `aborted` whenever the caller
   * aborted, whatever the attempt was doing then; otherwise the KeelError itself. Anything else
   * (a failing store, a bug) becomes a non-retryable `server` error rather than escaping untyped.
   */
  function callError(thrown: unknown, signal: AbortSignal | undefined, call: CallState): KeelError {
    const error = signal?.aborted
      ? KeelError.is(thrown) && thrown.kind === 'aborted'
        ? thrown
        : new KeelError('aborted', 'The caller aborted the call')
      : KeelError.is(thrown)
        ? thrown
        : new KeelError('server', 'Unexpected failure', { cause: thrown, retryable: false });
    return error.with({ attempts: [...call.attempts], candidates: candidatesOf(call) });
  }

  function stream(request: ChatRequest, streamOptions: StreamOptions & StepOptions = {}): KeelStream {
    // Bad input throws here, at once, before any stage runs.
    const begun = begin(request, true);
    const cached = cacheFor(begun, streamOptions, streamOptions.includeRaw ?? false, true);
    return createKeelStream(
      cached ? cacheStage!.stream(cached, () => announceStart(begun), () => streamUpstream(begun, streamOptions)) : streamUpstream(begun, streamOptions),
    );
  }

  function streamUpstream(begun: Begun, streamOptions: StreamOptions & StepOptions): AsyncGenerator<StreamEvent, void, undefined> {
    const { validated, feature, call, deadline, floorMs, chain } = begun;
    const includeRaw = streamOptions.includeRaw ?? false;
    // One leg of the stream up to its first token; mid-stream recovery opens more (stream-recovery.ts).
    const openLeg = async (candidate: ModelRef, signal: AbortSignal | undefined, request: ValidatedRequest) => {
      const { hold, target } = feature.budget ? await admit(feature, request, call, candidate, deadline) : unbudgeted(candidate);
      try {
        const opened = await chain.stream(
          context(call, target, deadline, signal ?? validated.signal, withStepRequest(providerRequest(request, feature, target, includeRaw, hold), providers.get(target.provider), streamOptions)),
        );
        return { opened, hold, target, request };
      } catch (error) {
        await settleCall(hold, undefined, NOTHING_SERVED, true);
        throw error;
      }
    };
    // Everything up to the first token; readCommitted runs it at the first read.
    async function commit(): Promise<PostCommitOptions> {
      announceStart(begun);
      let ticket: RateTicket | undefined;
      let admitted;
      try {
        ticket = feature.rateLimits ? await admission.takeRateLimits(feature, validated, deadline - floorMs, validated.signal) : undefined;
        const hedge = chain.hedger
          ? hedgeFor(chain.hedger, 'stream', validated.signal, (lost: Awaited<ReturnType<typeof openLeg>>) =>
              admission.cost(lost.target, admission.countServed(lost.target, lost.request, disposeLeg(lost)).usage),
            )
          : undefined;
        admitted = await withFallback(planFor(feature, validated, streamOptions), call, deadline, floorMs, openLeg, hedge);
      } catch (thrown) {
        void settleCall(undefined, ticket, NOTHING_SERVED, call.sent);
        const error = callError(thrown, validated.signal, call);
        announceFinish(events, breakers, call, true, { outcome: error.kind, provider: error.provider, model: error.model });
        throw error;
      }
      const { opened, hold } = admitted;
      // The leg being read: recovery replaces it, and the last one settles the call.
      let leg: typeof admitted & { settled?: HoldSettled | undefined } = admitted;
      chain.hedger?.observe(clock.now() - call.startedAt, 'stream');
      if (events.active) {
        events.emit({
          type: 'stream.first_token',
          callId: call.id,
          feature: call.feature,
          at: clock.now(),
          provider: opened.provider,
          model: opened.model,
          attempt: opened.attempt,
          ttftMs: clock.now() - call.startedAt,
        });
      }
      return {
        opened,
        call,
        deadline,
        idleMs: feature.timeouts.idleMs,
        includeRaw,
        textEvents: !(includeRaw && streamOptions.rawOnly === true),
        callerSignal: validated.signal,
        // Streamed output is charged before it is handed out (see stream-meter.ts); the
        // provider's usage settles it.
        meter: hold ? createStreamMeter(hold) : undefined,
        costOf: (usage) => admission.cost(leg.target, usage),
        // The drop-ins hand raw SDK chunks out as they come: a second leg's would repeat text.
        recover: includeRaw
          ? undefined
          : createStreamRecovery({
              feature,
              request: validated,
              call,
              candidates: streamOptions.candidates ?? candidatesFor(feature, validated.model),
              callerSignal: validated.signal,
              settleBroken: async ({ usage, legText }) => {
                // Without usage, the leg is charged exactly what it served (admission countServed).
                const settled = await settleCall(leg.hold, undefined, { usage, answered: false, text: legText, accepted: true, broke: true }, true);
                // Kept for the call's end should no other leg open: the hold is settled only once.
                leg = { ...leg, settled };
                return admission.cost(leg.target, usage ?? settled?.charged ?? admission.countServed(leg.target, leg.request, legText).usage);
              },
              open: async (plan) => {
                leg = await withFallback(plan, call, deadline, floorMs, openLeg);
                return { opened: leg.opened, meter: leg.hold ? createStreamMeter(leg.hold) : undefined };
              },
            }),
        onSettled: async ({ result, error, usage, text }) => {
          // A stream the provider finished; one Keel cut for its budget did not answer in full.
          const answered = result !== undefined && result.finishReason !== 'budget_exhausted';
          // The provider accepted the request (the stream opened): without usage, its input and
          // the output served are still charged.
          const settled = (await settleCall(leg.hold, ticket, { usage, answered, text, accepted: true, broke: error !== undefined }, true)) ?? leg.settled;
          const budgetRemaining = settled?.remaining;
          if (!usage && answered) announceMissingUsage(call, true, leg.opened.provider, result.model, settled);
          announceFinish(events, breakers, call, true, {
            outcome: error ? error.kind : 'ok',
            provider: leg.opened.provider,
            model: result?.model ?? leg.opened.model,
            usage,
            ttftMs: result?.ttftMs,
            finishReason: result?.finishReason,
            costUsd: result?.costUsd,
            budgetRemaining,
          });
          return budgetRemaining;
        },
      };
    }
    return readCommitted(commit);
  }

  const structured = { chat, stream, feature: structuredFeatures(options.features, config.features), provider: (id: string) => providers.get(id), logPrompts: options.dangerouslyLogPrompts ?? false };
  return {
    chat,
    stream,
    object: (request) => runObject(structured, request),
    objectStream: (request) => streamObject(structured, request),
    on: (listener) => events.subscribe(listener),
    breakers: () => breakers.snapshot(),
    breaker: (provider, model) => breakers.state(provider, model),
    tripBreaker: (provider, model) => breakers.trip(provider, model),
    close: () => breakers.shutdown(),
  };
}
