import { LRUCache } from 'lru-cache';
import { KeelError } from '../errors/keel-error.js';
import { systemClock, type Clock } from '../util/clock.js';
import type { CacheJson, CacheSetOptions, ExactCacheStore } from './store.js';

export interface MemoryCacheStoreOptions {
  /** The most bytes of entries held (as core measured them); the least recently used go first. @default 64 MiB */
  readonly maxBytes?: number | undefined;
  /** Time source for TTLs (the testkit's fake clock in tests). @default the system clock */
  readonly clock?: Clock | undefined;
}

const DEFAULT_MAX_BYTES = 64 * 1024 * 1024;

/**
 * The embedded exact-cache store: lru-cache bounded in bytes, each entry with its own TTL on
 * Keel's clock. Entries expire lazily on read (no timers); lru-cache's `ttlAutopurge` is off.
 */
/** The embedded store: synchronous, with its size in entries and bytes. */
export interface MemoryCacheStore extends ExactCacheStore {
  get(key: string): CacheJson | undefined;
  set(key: string, value: CacheJson, options: CacheSetOptions): void;
  delete(key: string): void;
  readonly size: number;
  readonly bytes: number;
}

export function createMemoryCacheStore(options: MemoryCacheStoreOptions = {}): MemoryCacheStore {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  if (!Number.isSafeInteger(maxBytes) || maxBytes <= 0) throw new KeelError('bad_request', 'createMemoryCacheStore: maxBytes must be a positive integer');
  const clock = options.clock ?? systemClock;
  const entries = new LRUCache<string, CacheJson & {}>({
    maxSize: maxBytes,
    // An entry larger than a tenth of the store would evict everything else: not kept.
    maxEntrySize: Math.max(1, Math.floor(maxBytes / 10)),
    // +1: lru-cache reads a start time of 0 as "no TTL", and a fake clock may start at 0.
    perf: { now: () => clock.now() + 1 },
    ttlResolution: 0,
  });
  return {
    get: (key) => entries.get(key),
    set(key, value, { ttlMs, bytes }) {
      if (value === null) return;
      entries.set(key, value, { ttl: ttlMs, size: Math.max(1, bytes) });
    },
    delete(key) {
      entries.delete(key);
    },
    get size() {
      return entries.size;
    },
    get bytes() {
      return entries.calculatedSize;
    },
  };
}
