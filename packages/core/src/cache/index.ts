export type { CacheJson, CacheSetOptions, ExactCacheStore } from './store.js';
