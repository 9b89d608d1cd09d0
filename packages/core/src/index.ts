export * from './errors/index.js';
export * from './provider/index.js';
export * from './events/index.js';
export { createKeel } from './pipeline/keel.js';
export { DEFAULT_MAX_REQUEST_BYTES } from './config/schema.js';
export { EXACT_COUNT_MAX_TOKENS } from './pipeline/admission.js';
export type { Keel, KeelOptions, ChatOptions, StreamOptions } from './pipeline/keel.js';
export type { ChatResult } from './pipeline/result.js';
export type { KeelStream, StreamEvent } from './pipeline/stream.js';
export type { ChatRequest } from './config/request.js';
export type {
  BreakerOptions,
  DefaultsConfig,
  FeatureConfig,
  ModelRef,
  RetryBudgetOptions,
  RetryOptions,
  TimeoutOptions,
} from './config/schema.js';
export type { BreakerSnapshot, BreakerState } from './policies/circuit-breaker.js';
export { headerValue, readRetryDirective } from './policies/retry-after.js';
export type { HeaderSource, RetryDirective } from './policies/retry-after.js';
export { compose } from './pipeline/compose.js';
export type { Attempt, AttemptContext, CallState, Policy } from './pipeline/context.js';
export { systemClock } from './util/clock.js';
export type { Clock, Timer } from './util/clock.js';
export * from './telemetry/index.js';
export * from './tokens/index.js';
export * from './pricing/index.js';
export * from './budgets/index.js';
export * from './rate-limits/index.js';
export * from './drop-in/index.js';
export * from './cache/index.js';
export * from './structured/index.js';
