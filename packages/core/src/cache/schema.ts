import { z } from 'zod';

/** A feature's cache (`features.<name>.cache`); off unless present. See docs/caching.md. */
export const featureCacheSchema = z
  .object({
    /** How long an answer is served from the cache, in milliseconds. @default 3600000 (1 h) */
    ttlMs: z.number().int().positive().max(30 * 24 * 3_600_000).default(3_600_000),
    /**
     * Who shares entries. `tenant` (the default): calls with the same `tenant` share; a call with
     * no tenant is not cached at all. `tenant+user`: per tenant and user; a call missing either
     * is not cached. `global`: one namespace for the feature, for single-tenant services only.
     */
    scope: z.enum(['tenant', 'tenant+user', 'global']).default('tenant'),
    /** Cache conversations that hold earlier assistant turns. @default false */
    multiTurn: z.boolean().default(false),
    /** Cache calls that carry tools or tool calls/results. @default false */
    tools: z.boolean().default(false),
    /**
     * Cache calls sampled at a temperature above 0 (or at the provider's default, which is
     * usually 1): the cache then serves one sample to everyone. @default false
     */
    nonZeroTemperature: z.boolean().default(false),
    /** The largest answer kept, in bytes of its stored JSON. @default 262144 (256 KiB) */
    maxEntryBytes: z.number().int().positive().default(256 * 1024),
    /**
     * Also answer similar prompts, through the `semantic` layer given to createKeel (single-turn,
     * tool-free calls only). A request may only raise `minSimilarity`.
     */
    semantic: z
      .object({
        /** The cosine similarity a cached prompt must reach. */
        minSimilarity: z.number().min(0).max(1),
        /**
         * Exploration for learned (error-bounded) thresholds: on a miss near a cached prompt, the
         * fresh answer is compared with the cached one (`exact-answer`: equal after trimming
         * and collapsing whitespace, case-insensitive) and the verdict fed to the layer's
         * `verify`. `off`: only your own `verify` calls teach it. @default 'exact-answer'
         */
        verify: z.enum(['exact-answer', 'off']).default('exact-answer'),
      })
      .strict()
      .optional(),
  })
  .strict();

export type FeatureCacheConfig = z.input<typeof featureCacheSchema>;
export type ResolvedCache = z.output<typeof featureCacheSchema>;

/** Per-request cache controls (`request.cache`). */
export const requestCacheSchema = z
  .object({
    /** Neither read nor write the cache for this call. */
    bypass: z.boolean().optional(),
    /** Skip the lookup, call the provider, and replace the entry with the new answer. */
    refresh: z.boolean().optional(),
    /** Raise the feature's semantic threshold for this call (lower values are ignored). */
    minSimilarity: z.number().min(0).max(1).optional(),
  })
  .strict();

export type RequestCacheOptions = z.output<typeof requestCacheSchema>;
