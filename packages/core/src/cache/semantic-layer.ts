/**
 * The contract between the cache stage (exact lookups, single-flight, never-cache rules) and the
 * semantic layer (embeddings, a vector index, thresholds, near-miss guards). The stage owns the
 * entries; the semantic layer only maps a prompt to the exact key of a similar cached request,
 * always inside one scope, so a vector from one tenant is never compared with another's.
 */

/** Who may see an entry: the namespace the type system forces on every cache read and write. */
export interface CacheScope {
  readonly tenant: string;
  readonly feature: string;
  /** Present when the feature caches per user. */
  readonly user?: string | undefined;
}

/** A similar cached request: its exact-cache key and how similar its prompt was (cosine, 0..1). */
export interface SemanticHit {
  readonly key: string;
  readonly similarity: number;
  /** The similarity the hit had to reach (the entry's learned threshold, or the fixed one). */
  readonly threshold: number;
}

export interface SemanticLookup {
  /** The prompt text the similarity is computed over (the normalised last user turn). */
  readonly prompt: string;
  /** The feature's threshold for this call; a request may only raise it. */
  readonly minSimilarity?: number | undefined;
  readonly signal?: AbortSignal | undefined;
}

export interface SemanticLayer {
  /** The best entry similar enough to `lookup.prompt` in `scope`, after the near-miss guards. */
  lookup(scope: CacheScope, lookup: SemanticLookup): Promise<SemanticHit | undefined>;
  /**
   * Records that `key` now holds the answer to `prompt` in `scope`. `lookup` is the one this
   * call looked up with, when it did: a layer may reuse what it computed for it (the built-in
   * layer reuses the prompt's embedding).
   */
  remember(scope: CacheScope, prompt: string, key: string, lookup?: SemanticLookup): Promise<void>;
  /** Drops `key` (its entry expired, was refreshed or was found wrong). */
  forget(scope: CacheScope, key: string): void;
  /**
   * Feedback for error-bounded thresholds: whether serving `hit` for `prompt` was correct
   * (a verified hit, or a sampled re-ask that disagreed).
   */
  verify?(scope: CacheScope, prompt: string, hit: SemanticHit, correct: boolean): void;
  /**
   * The most similar entry that passes the guards, whatever the threshold policy says: what the
   * stage checks a miss's fresh answer against, to feed `verify` (exploration).
   */
  nearest?(scope: CacheScope, lookup: SemanticLookup): Promise<SemanticHit | undefined>;
}
