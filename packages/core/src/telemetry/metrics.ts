import type { Attributes, Counter, Histogram, Meter } from '@opentelemetry/api';
import { type EventOf, type ProviderNamer } from './attributes.js';
import { ATTR, METRIC } from './names.js';

/** Bucket boundaries the GenAI conventions give for durations (s) and token counts. */
const SECONDS = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92];
const TOKENS = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864];
/** Inter-token gaps are milliseconds, far below the operation-duration buckets. */
const TOKEN_GAP_SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 1, 2.5];

/** Every instrument, created once per `createOpenTelemetry`. */
export class KeelMetrics {
  readonly #duration: Histogram;
  readonly #tokens: Histogram;
  readonly #ttft: Histogram;
  readonly #tokenGap: Histogram;
  readonly #attemptDuration: Histogram;
  readonly #attempts: Counter;
  readonly #cost: Counter;
  readonly #fallbacks: Counter;
  readonly #breaker: Counter;

  constructor(meter: Meter, private readonly name: ProviderNamer) {
    const histogram = (metric: string, unit: string, description: string, buckets: number[]) =>
      meter.createHistogram(metric, { unit, description, advice: { explicitBucketBoundaries: buckets } });
    this.#duration = histogram(METRIC.operationDuration, 's', 'GenAI operation duration, retries and fallbacks included.', SECONDS);
    this.#tokens = histogram(METRIC.tokenUsage, '{token}', 'Number of input and output tokens used.', TOKENS);
    this.#ttft = histogram(METRIC.timeToFirstChunk, 's', 'Time from the call to the first chunk handed to the caller.', SECONDS);
    this.#tokenGap = histogram(METRIC.timePerOutputToken, 's', 'Mean time per output token after the first, per streamed call.', TOKEN_GAP_SECONDS);
    this.#attemptDuration = histogram(METRIC.attemptDuration, 's', 'Duration of one attempt against one provider model.', SECONDS);
    this.#attempts = meter.createCounter(METRIC.attempts, { unit: '{attempt}', description: 'Attempts made, by outcome.' });
    this.#cost = meter.createCounter(METRIC.cost, { unit: '{USD}', description: 'What calls cost, in US dollars.' });
    this.#fallbacks = meter.createCounter(METRIC.fallbacks, { unit: '{fallback}', description: 'Hand-overs to the next candidate model.' });
    this.#breaker = meter.createCounter(METRIC.breakerTransitions, { unit: '{transition}', description: 'Circuit breaker state changes.' });
  }

  /** `identity` is the call's (primary provider, requested model, feature), so a fallback does not split a call's series. */
  callFinished(event: EventOf<'call.finished'>, identity: Attributes): void {
    const failed = event.outcome !== 'ok';
    const base: Attributes = { ...identity };
    if (event.model !== undefined) base[ATTR.responseModel] = event.model;
    this.#duration.record(event.latencyMs / 1000, failed ? { ...base, [ATTR.errorType]: event.outcome } : base);
    if (event.usage) {
      this.#tokens.record(event.usage.inputTokens, { ...base, [ATTR.tokenType]: 'input' });
      this.#tokens.record(event.usage.outputTokens, { ...base, [ATTR.tokenType]: 'output' });
    }
    if (event.costUsd !== undefined && event.costUsd > 0) this.#cost.add(event.costUsd, base);
    // Inter-token latency, apart from time to first token: the rest of the stream over the rest of the tokens.
    const output = event.usage?.outputTokens ?? 0;
    if (event.stream && !failed && event.ttftMs !== undefined && output > 1) {
      this.#tokenGap.record(Math.max(0, event.latencyMs - event.ttftMs) / (output - 1) / 1000, base);
    }
  }

  firstToken(event: EventOf<'stream.first_token'>, identity: Attributes): void {
    this.#ttft.record(event.ttftMs / 1000, identity);
  }

  attemptEnded(event: EventOf<'attempt.succeeded' | 'attempt.failed'>): void {
    const failed = event.type === 'attempt.failed';
    const attributes: Attributes = {
      [ATTR.providerName]: this.name(event.provider),
      [ATTR.requestModel]: event.model,
      [ATTR.feature]: event.feature,
      [ATTR.attemptOutcome]: failed ? event.kind : 'ok',
    };
    if (failed) attributes[ATTR.errorType] = event.kind;
    this.#attempts.add(1, attributes);
    this.#attemptDuration.record(event.durationMs / 1000, attributes);
  }

  fallback(event: EventOf<'fallback'>): void {
    this.#fallbacks.add(1, { [ATTR.feature]: event.feature, [ATTR.fallbackFrom]: event.from, [ATTR.fallbackTo]: event.to, [ATTR.errorType]: event.kind });
  }

  breaker(event: EventOf<'breaker.opened' | 'breaker.half_open' | 'breaker.closed'>): void {
    const state = event.type === 'breaker.opened' ? 'open' : event.type === 'breaker.half_open' ? 'half_open' : 'closed';
    this.#breaker.add(1, { [ATTR.providerName]: this.name(event.provider), [ATTR.requestModel]: event.model, [ATTR.breakerState]: state });
  }
}
