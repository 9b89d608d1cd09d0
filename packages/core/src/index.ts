export * from './errors/index.js';
export * from './provider/index.js';
export * from './events/index.js';
export { readRetryDirective } from './policies/retry-after.js';
export type { HeaderSource, RetryDirective } from './policies/retry-after.js';
export { systemClock } from './util/clock.js';
export type { Clock, Timer } from './util/clock.js';
