export { createRedisBudgetStore } from './budget-store.js';
export type { RedisBudgetStoreOptions } from './budget-store.js';
export type { RedisClient } from './commands.js';
export { createRedisRateLimitStore } from './rate-limit-store.js';
export type { RedisRateLimitStoreOptions } from './rate-limit-store.js';
export type { OutageOptions, OutagePolicy } from './outage.js';
export { createRedisCacheStore } from './cache-store.js';
export type { RedisCacheStoreOptions } from './cache-store.js';
