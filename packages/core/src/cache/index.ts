export type { CacheJson, CacheSetOptions, ExactCacheStore } from './store.js';
export type * from './semantic-layer.js';
export * from './semantic/index.js';
