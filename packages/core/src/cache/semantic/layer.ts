import { KeelError } from '../../errors/index.js';
import type { Embedder } from '../../provider/provider.js';
import type { CacheScope, SemanticHit, SemanticLayer, SemanticLookup } from '../semantic-layer.js';
import { nearMissReason } from './guards.js';
import { createExactIndex } from './index-exact.js';
import { createHnswIndex } from './index-usearch.js';
import type { EntryThreshold, ThresholdPolicy } from './policy.js';
import { semanticScopeKey } from './scope-key.js';
import type { VectorIndex, VectorIndexFactory } from './vector-index.js';

export interface SemanticCacheOptions {
  readonly embedder: Embedder;
  /** `exact` scan (default), `hnsw` (needs the optional peer `usearch`), or a factory. */
  readonly index?: 'exact' | 'hnsw' | VectorIndexFactory | undefined;
  /** When a similar entry may be served: `fixedThreshold(t)` or `errorBoundedThreshold({ delta })`. */
  readonly policy: ThresholdPolicy;
  /** Run the lexical near-miss guards (negation, numbers, entities) on every candidate. @default true */
  readonly guards?: boolean | undefined;
  /** Entries kept per scope; the least recently remembered is dropped first. @default 10_000 */
  readonly maxEntriesPerScope?: number | undefined;
  /** Nearest neighbours weighed per lookup (each has its own threshold and guard verdict). @default 4 */
  readonly candidates?: number | undefined;
}

/** The semantic layer plus what a cache stage needs for exploration and introspection. */
export interface SemanticCache extends SemanticLayer {
  verify(scope: CacheScope, prompt: string, hit: SemanticHit, correct: boolean): void;
  /**
   * The most similar entry that passes the guards, whatever the policy says (its `threshold`
   * is the one it would need): what a miss can be checked against to feed `verify`.
   */
  nearest(scope: CacheScope, lookup: SemanticLookup): Promise<SemanticHit | undefined>;
  /** Entries held in `scope`. */
  size(scope: CacheScope): number;
}

interface Entry {
  readonly prompt: string;
  readonly threshold: EntryThreshold;
}

interface ScopeState {
  readonly index: VectorIndex;
  /** Keys in remember order (a Map keeps insertion order): the first is evicted first. */
  readonly entries: Map<string, Entry>;
}

function indexFactory(choice: SemanticCacheOptions['index']): VectorIndexFactory {
  if (typeof choice === 'function') return choice;
  if (choice === 'hnsw') return (dimensions) => createHnswIndex({ dimensions });
  if (choice === undefined || choice === 'exact') return (dimensions) => createExactIndex({ dimensions });
  throw new KeelError('bad_request', `createSemanticCache: index must be 'exact', 'hnsw' or a factory, got ${String(choice)}.`);
}

/**
 * A semantic layer: one vector index per scope and embedder (a vector is never compared across
 * tenants, features, users or embedders), a threshold policy per entry and the near-miss guards.
 * It maps a prompt to the exact-cache key of a similar cached request; the cache stage owns the
 * answers.
 */
export function createSemanticCache(options: SemanticCacheOptions): SemanticCache {
  const { embedder, policy } = options;
  const factory = indexFactory(options.index);
  const guards = options.guards ?? true;
  const maxEntries = Math.max(1, options.maxEntriesPerScope ?? 10_000);
  const k = Math.max(1, options.candidates ?? 4);
  const scopes = new Map<string, Promise<ScopeState>>();
  // Settled states, for the synchronous forget / verify / size.
  const ready = new Map<string, ScopeState>();

  // One embedding per call: the stage passes the same lookup to `lookup`, `nearest` and
  // `remember`, so a miss pays one embedder round trip, not three. Keyed by the call's own
  // lookup object, never by prompt text: no call learns from another's timing.
  const vectors = new WeakMap<SemanticLookup, Promise<Float32Array>>();

  async function embedOne(prompt: string, signal: AbortSignal | undefined): Promise<Float32Array> {
    signal?.throwIfAborted();
    const [vector] = await embedder.embed([prompt], { signal });
    signal?.throwIfAborted();
    if (!vector || vector.length === 0) throw new KeelError('server', `Embedder ${embedder.id} returned no vector.`);
    return vector;
  }

  function vectorOf(lookup: SemanticLookup): Promise<Float32Array> {
    let vector = vectors.get(lookup);
    if (!vector) {
      vector = embedOne(lookup.prompt, lookup.signal);
      // A failed embedding is not kept: `remember` tries again.
      vector.catch(() => vectors.delete(lookup));
      vectors.set(lookup, vector);
    }
    return vector;
  }

  function stateFor(scope: CacheScope, dimensions: number): Promise<ScopeState> {
    const key = semanticScopeKey(embedder.id, scope);
    let state = scopes.get(key);
    if (!state) {
      state = Promise.resolve(factory(dimensions)).then((index) => {
        const created = { index, entries: new Map<string, Entry>() };
        ready.set(key, created);
        return created;
      });
      state.catch(() => scopes.delete(key));
      scopes.set(key, state);
    }
    return state;
  }

  const readyState = (scope: CacheScope): ScopeState | undefined => ready.get(semanticScopeKey(embedder.id, scope));

  /** Candidates most similar first, each with its entry's decision and guard verdict. */
  async function rank(scope: CacheScope, lookup: SemanticLookup) {
    const state = readyState(scope);
    if (!state || state.entries.size === 0) return [];
    const vector = await vectorOf(lookup);
    return state.index.search(vector, k).flatMap((match) => {
      const entry = state.entries.get(match.id);
      if (!entry) return [];
      const guarded = guards && nearMissReason(lookup.prompt, entry.prompt) !== undefined;
      return [{ key: match.id, similarity: match.similarity, entry, guarded }];
    });
  }

  async function lookup(scope: CacheScope, request: SemanticLookup): Promise<SemanticHit | undefined> {
    const floor = request.minSimilarity ?? -Infinity;
    for (const candidate of await rank(scope, request)) {
      if (candidate.guarded || candidate.similarity < floor) continue;
      const decision = candidate.entry.threshold.decide(candidate.similarity);
      // A request may only raise the threshold, never lower the policy's.
      if (decision.serve) return { key: candidate.key, similarity: candidate.similarity, threshold: Math.max(decision.threshold, floor) };
    }
    return undefined;
  }

  async function nearest(scope: CacheScope, request: SemanticLookup): Promise<SemanticHit | undefined> {
    const candidate = (await rank(scope, request)).find((c) => !c.guarded);
    if (!candidate) return undefined;
    const decision = candidate.entry.threshold.decide(candidate.similarity);
    return { key: candidate.key, similarity: candidate.similarity, threshold: Math.max(decision.threshold, request.minSimilarity ?? -Infinity) };
  }

  async function remember(scope: CacheScope, prompt: string, key: string, lookup?: SemanticLookup): Promise<void> {
    // The answer is in: its embedding no longer waits on the caller's signal.
    const vector = lookup?.prompt === prompt ? await vectorOf(lookup).catch(() => embedOne(prompt, undefined)) : await embedOne(prompt, undefined);
    const state = await stateFor(scope, vector.length);
    const previous = state.entries.get(key);
    state.entries.delete(key);
    state.index.add(key, vector);
    // A refreshed key keeps what it learnt only if its prompt is the same.
    state.entries.set(key, { prompt, threshold: previous?.prompt === prompt ? previous.threshold : policy.forEntry() });
    while (state.entries.size > maxEntries) {
      const oldest = state.entries.keys().next().value;
      if (oldest === undefined) break;
      state.entries.delete(oldest);
      state.index.remove(oldest);
    }
  }

  function forget(scope: CacheScope, key: string): void {
    const state = readyState(scope);
    if (!state) return;
    state.entries.delete(key);
    state.index.remove(key);
  }

  function verify(scope: CacheScope, _prompt: string, hit: SemanticHit, correct: boolean): void {
    readyState(scope)?.entries.get(hit.key)?.threshold.observe(hit.similarity, correct);
  }

  return { lookup, nearest, remember, forget, verify, size: (scope) => readyState(scope)?.entries.size ?? 0 };
}
