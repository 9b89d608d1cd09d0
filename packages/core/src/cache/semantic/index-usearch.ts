import { KeelError } from '../../errors/index.js';
import { normalise, type VectorIndex, type VectorMatch } from './vector-index.js';

export interface HnswIndexOptions {
  readonly dimensions: number;
  /** Graph degree (usearch `connectivity`). @default 16 */
  readonly connectivity?: number | undefined;
  /** Candidate list size while inserting (`expansion_add`). @default 128 */
  readonly expansionAdd?: number | undefined;
  /** Candidate list size while searching (`expansion_search`); higher is slower and more exact. @default 64 */
  readonly expansionSearch?: number | undefined;
}

/** The part of usearch's `Index` this adapter uses (kept local: usearch is an optional peer). */
interface UsearchIndex {
  add(keys: bigint, vectors: Float32Array): void;
  remove(keys: bigint): number | number[];
  search(vectors: Float32Array, k: number, threads: number): { keys: BigUint64Array; distances: Float32Array };
  size(): number;
}
interface UsearchModule {
  Index: new (config: {
    dimensions: number;
    metric: string;
    connectivity: number;
    expansion_add: number;
    expansion_search: number;
  }) => UsearchIndex;
}

const loaded = new Map<string, Promise<UsearchModule>>();

/**
 * Loads usearch on first use. Through `createRequire` rather than `import()`: usearch's ESM
 * build finds its prebuilt binary through `__dirname`, which ESM lacks, and recurses until the
 * stack overflows; its CommonJS build loads the same binary correctly.
 */
export function loadUsearch(specifier = 'usearch'): Promise<UsearchModule> {
  let pending = loaded.get(specifier);
  if (pending) return pending;
  pending = (async () => {
    try {
      const { createRequire } = await import('node:module');
      const mod: unknown = createRequire(import.meta.url)(specifier);
      if (typeof (mod as Partial<UsearchModule> | null)?.Index !== 'function') throw new Error('usearch has no Index export');
      return mod as UsearchModule;
    } catch (error) {
      loaded.delete(specifier);
      throw new KeelError(
        'bad_request',
        "The semantic cache's 'hnsw' index needs the optional peer dependency `usearch` (npm install usearch); use index: 'exact' without it.",
        { cause: error },
      );
    }
  })();
  loaded.set(specifier, pending);
  return pending;
}

/**
 * An approximate (HNSW) cosine index over usearch. Keys are strings here and bigints there, so
 * the adapter keeps both maps; re-adding an id removes its old vector first.
 */
export async function createHnswIndex(options: HnswIndexOptions): Promise<VectorIndex> {
  const usearch = await loadUsearch();
  const index = new usearch.Index({
    dimensions: options.dimensions,
    metric: 'cos',
    connectivity: options.connectivity ?? 16,
    expansion_add: options.expansionAdd ?? 128,
    expansion_search: options.expansionSearch ?? 64,
  });
  const keys = new Map<string, bigint>();
  const ids = new Map<bigint, string>();
  let next = 1n;

  function remove(id: string): boolean {
    const key = keys.get(id);
    if (key === undefined) return false;
    index.remove(key);
    keys.delete(id);
    ids.delete(key);
    return true;
  }

  function add(id: string, vector: Float32Array): void {
    if (vector.length !== options.dimensions) {
      throw new KeelError('bad_request', `Vector has ${vector.length} dimensions; this index holds ${options.dimensions}.`);
    }
    remove(id);
    const key = next++;
    index.add(key, normalise(vector));
    keys.set(id, key);
    ids.set(key, id);
  }

  function search(vector: Float32Array, k: number): VectorMatch[] {
    if (keys.size === 0 || k <= 0) return [];
    // threads = 1: a lookup is one query on the caller's turn; no thread pool to wake.
    const found = index.search(normalise(vector), Math.min(k, keys.size), 1);
    const out: VectorMatch[] = [];
    for (let i = 0; i < found.keys.length; i++) {
      const id = ids.get(found.keys[i]!);
      // usearch's cosine distance is 1 − cos.
      if (id !== undefined) out.push({ id, similarity: 1 - found.distances[i]! });
    }
    return out;
  }

  return {
    add,
    remove,
    search,
    get size() {
      return keys.size;
    },
  };
}
