/** One neighbour a search found: its id and its cosine similarity to the query (−1..1). */
export interface VectorMatch {
  readonly id: string;
  readonly similarity: number;
}

/**
 * A set of vectors searched by cosine similarity. Implementations normalise what they store, so
 * callers may pass raw embeddings. Adding an id that is already present replaces its vector.
 */
export interface VectorIndex {
  add(id: string, vector: Float32Array): void;
  /** True when the id was present. */
  remove(id: string): boolean;
  /** The `k` most similar vectors, most similar first. */
  search(vector: Float32Array, k: number): VectorMatch[];
  readonly size: number;
}

/** Builds an index for vectors of `dimensions` (one per scope and embedder). */
export type VectorIndexFactory = (dimensions: number) => VectorIndex | Promise<VectorIndex>;

/** A unit-length copy of `vector` (a zero vector stays zero, so it matches nothing). */
export function normalise(vector: Float32Array): Float32Array {
  let sum = 0;
  for (let i = 0; i < vector.length; i++) sum += vector[i]! * vector[i]!;
  const out = new Float32Array(vector.length);
  if (sum === 0) return out;
  const scale = 1 / Math.sqrt(sum);
  for (let i = 0; i < vector.length; i++) out[i] = vector[i]! * scale;
  return out;
}
