export { createRedisBudgetStore } from './budget-store.js';
export type { RedisBudgetStoreOptions } from './budget-store.js';
export type { RedisClient } from './commands.js';
