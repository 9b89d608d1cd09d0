import type { CacheJson, CacheSetOptions, ExactCacheStore } from '@keel/core';
import { keyPrefix, type RedisClient } from './commands.js';

export interface RedisCacheStoreOptions {
  /** An ioredis client (single node or Cluster). The store never closes it. */
  readonly client: RedisClient;
  /** Namespace of every key: `{<prefix>}:c:<key>`. Use a prefix of its own to spread cache entries over Cluster slots. @default 'keel' */
  readonly prefix?: string | undefined;
  /**
   * What a read does when Redis fails: `'miss'` (default; the call goes to the provider as
   * without a cache) or `'throw'`. Writes and deletes that fail are dropped in `'miss'` mode.
   */
  readonly onError?: 'miss' | 'throw' | undefined;
}

/**
 * The exact cache shared by every replica: one Redis string per entry, the JSON of its value,
 * set with `PX` so Redis expires it (no sweeping). Keys arrive namespaced and hashed by core.
 */
export function createRedisCacheStore(options: RedisCacheStoreOptions): ExactCacheStore {
  const { client } = options;
  const p = `${keyPrefix(options.prefix ?? 'keel')}c:`;
  const miss = (options.onError ?? 'miss') === 'miss';
  const guard = async <T>(work: () => Promise<T>, fallback: T): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      if (miss) return fallback;
      throw error;
    }
  };

  return {
    get: (key) =>
      guard(async () => {
        const raw = await client.get(p + key);
        return raw === null ? undefined : (JSON.parse(raw) as CacheJson);
      }, undefined),
    set: (key, value, { ttlMs }: CacheSetOptions) => {
      if (!(ttlMs > 0) || !Number.isFinite(ttlMs)) throw new RangeError(`cache: ttlMs must be > 0 (got ${ttlMs})`);
      return guard(async () => {
        await client.set(p + key, JSON.stringify(value), 'PX', Math.ceil(ttlMs));
      }, undefined);
    },
    delete: (key) =>
      guard(async () => {
        await client.del(p + key);
      }, undefined),
  };
}
