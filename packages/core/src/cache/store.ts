/**
 * Where the exact cache keeps its entries. The embedded default is an lru-cache bounded in
 * bytes; @keel/redis shares one across replicas. Keys arrive already namespaced (tenant +
 * feature, + user when the feature says so) and hashed by core: a store never builds a key.
 */
export type CacheJson = string | number | boolean | null | readonly CacheJson[] | { readonly [key: string]: CacheJson };

export interface CacheSetOptions {
  /** Time to live in milliseconds (> 0). */
  readonly ttlMs: number;
  /** The entry's size in bytes as core measured it (for byte-bounded stores). */
  readonly bytes: number;
}

export interface ExactCacheStore {
  /** The entry, or undefined when absent or expired. May answer synchronously. */
  get(key: string): CacheJson | undefined | Promise<CacheJson | undefined>;
  set(key: string, value: CacheJson, options: CacheSetOptions): void | Promise<void>;
  delete(key: string): void | Promise<void>;
}
