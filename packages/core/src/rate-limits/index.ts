export { createInMemoryRateLimitStore } from './memory-store.js';
export type { InMemoryRateLimitStore, InMemoryRateLimitStoreOptions } from './memory-store.js';
export type { RateLimitLine, RateLimitStore, TakeRequest, TakeResult } from './store.js';
export { featureRateLimitsSchema, rateLimitSchema, RATE_LIMIT_SCOPES } from './schema.js';
export type { FeatureRateLimits, FeatureRateLimitsConfig, RateLimitConfig, RateLimitScope } from './schema.js';
export { compileRateLimits, tokenRefund } from './plan.js';
export type { CompiledRateLimits, RateLimitSubject } from './plan.js';
export { admits, nextTat, refundedTat, waitMs } from './gcra.js';
