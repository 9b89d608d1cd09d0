/**
 * Attribute, span-event and metric names. The `gen_ai.*` ones follow the OpenTelemetry GenAI
 * semantic conventions (development status, checked against semantic-conventions 1.45 and the
 * semantic-conventions-genai repository); the `keel.*` ones are Keel's own. Kept as string
 * constants because `@opentelemetry/semantic-conventions` is not a dependency of core.
 */
export const ATTR = {
  operationName: 'gen_ai.operation.name',
  providerName: 'gen_ai.provider.name',
  /** Deprecated in favour of `gen_ai.provider.name`; still read by older backends. */
  system: 'gen_ai.system',
  requestModel: 'gen_ai.request.model',
  requestMaxTokens: 'gen_ai.request.max_tokens',
  requestTemperature: 'gen_ai.request.temperature',
  requestStream: 'gen_ai.request.stream',
  responseModel: 'gen_ai.response.model',
  responseFinishReasons: 'gen_ai.response.finish_reasons',
  responseTimeToFirstChunk: 'gen_ai.response.time_to_first_chunk',
  usageInputTokens: 'gen_ai.usage.input_tokens',
  usageOutputTokens: 'gen_ai.usage.output_tokens',
  /** Of the input tokens, read from / written to the prompt cache (GenAI semantic conventions). */
  usageCacheReadTokens: 'gen_ai.usage.cache_read.input_tokens',
  usageCacheWriteTokens: 'gen_ai.usage.cache_creation.input_tokens',
  usageMissingChargedOutput: 'keel.usage.charged_output_tokens',
  tokenType: 'gen_ai.token.type',
  inputMessages: 'gen_ai.input.messages',
  errorType: 'error.type',
  httpStatus: 'http.response.status_code',

  feature: 'keel.feature',
  callId: 'keel.call_id',
  stream: 'keel.stream',
  promptHash: 'keel.prompt.sha256',
  attempts: 'keel.attempts',
  attempt: 'keel.attempt',
  attemptOutcome: 'keel.attempt.outcome',
  responseProvider: 'keel.response.provider',
  costUsd: 'keel.cost_usd',
  ttftMs: 'keel.ttft_ms',
  breakerState: 'keel.breaker.state',
  budgetRemaining: 'keel.budget.remaining',
  budgetScope: 'keel.budget.scope',
  budgetUnit: 'keel.budget.unit',
  retryDelayMs: 'keel.retry.delay_ms',
  retryReason: 'keel.retry.reason',
  fallbackFrom: 'keel.fallback.from',
  fallbackTo: 'keel.fallback.to',
  /** `provider/model` of the stream leg that broke, and of the one that continued it. */
  recoveryFrom: 'keel.recovery.from',
  recoveryTo: 'keel.recovery.to',
  /** `continue` (prefill) or `restart`. */
  recoveryMode: 'keel.recovery.mode',
  /** Characters the caller had received when the stream broke. */
  recoveryTextChars: 'keel.recovery.text_chars',
  /** `provider/model` of a hedged pair's primary and backup. */
  hedgePrimary: 'keel.hedge.primary',
  hedgeBackup: 'keel.hedge.backup',
  /** `primary` or `backup`: the side that answered first. */
  hedgeWinner: 'keel.hedge.winner',
  /** Set on a span Keel ended without its closing event (evicted: see `maxOpenCalls`). */
  abandoned: 'keel.telemetry.abandoned',
  /** The answer came from Keel's cache. */
  cacheHit: 'keel.cache.hit',
  cacheSimilarity: 'keel.cache.similarity',
  cacheReason: 'keel.cache.reason',
} as const;

/** Span events recorded on the call span. */
export const SPAN_EVENT = {
  retry: 'keel.retry',
  retryDenied: 'keel.retry.denied',
  fallback: 'keel.fallback',
  firstToken: 'keel.first_token',
  usageMissing: 'keel.usage.missing',
  cacheHit: 'keel.cache.hit',
  cacheStored: 'keel.cache.stored',
  cacheSkipped: 'keel.cache.skipped',
  cacheError: 'keel.cache.error',
  streamRecovered: 'keel.stream.recovered',
  hedgeStarted: 'keel.hedge.started',
  hedgeWon: 'keel.hedge.won',
} as const;

export const METRIC = {
  operationDuration: 'gen_ai.client.operation.duration',
  tokenUsage: 'gen_ai.client.token.usage',
  timeToFirstChunk: 'gen_ai.client.operation.time_to_first_chunk',
  timePerOutputToken: 'keel.stream.time_per_output_token',
  attemptDuration: 'keel.attempt.duration',
  attempts: 'keel.attempts',
  cost: 'keel.cost',
  fallbacks: 'keel.fallbacks',
  breakerTransitions: 'keel.breaker.transitions',
} as const;

/** The only operation Keel performs today. */
export const OPERATION_CHAT = 'chat';

/** The instrumentation scope. The version is kept equal to core's package.json by a test. */
export const SCOPE = { name: '@keel/core', version: '0.1.0' } as const;
