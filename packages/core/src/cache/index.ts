export type { CacheJson, CacheSetOptions, ExactCacheStore } from './store.js';
export type * from './semantic-layer.js';
export { createMemoryCacheStore, type MemoryCacheStore, type MemoryCacheStoreOptions } from './memory-store.js';
export { featureCacheSchema, requestCacheSchema, type FeatureCacheConfig, type RequestCacheOptions } from './schema.js';
export type { CacheKey, CacheShape } from './key.js';
export * from './semantic/index.js';
