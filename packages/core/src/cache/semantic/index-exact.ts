import { KeelError } from '../../errors/index.js';
import { normalise, type VectorIndex, type VectorMatch } from './vector-index.js';

export interface ExactIndexOptions {
  /** Vector length; learned from the first vector when omitted. */
  readonly dimensions?: number | undefined;
  /** Rows reserved up front (the slab doubles when full). @default 1024 */
  readonly initialCapacity?: number | undefined;
}

/**
 * An exact cosine scan. Vectors are normalised at insert and kept in one Float32Array slab, row
 * after row, so a search is a single tight dot-product loop; removal moves the last row into the
 * hole, so the slab never has gaps.
 */
export function createExactIndex(options: ExactIndexOptions = {}): VectorIndex {
  let dimensions = options.dimensions;
  let capacity = Math.max(1, options.initialCapacity ?? 1024);
  let slab = new Float32Array(0);
  const ids: string[] = [];
  const rows = new Map<string, number>();

  function ensureDimensions(vector: Float32Array): number {
    dimensions ??= vector.length;
    if (vector.length !== dimensions) {
      throw new KeelError('bad_request', `Vector has ${vector.length} dimensions; this index holds ${dimensions}.`);
    }
    if (slab.length === 0) slab = new Float32Array(capacity * dimensions);
    return dimensions;
  }

  function add(id: string, vector: Float32Array): void {
    const dims = ensureDimensions(vector);
    let row = rows.get(id);
    if (row === undefined) {
      row = ids.length;
      if (row === capacity) {
        capacity *= 2;
        const grown = new Float32Array(capacity * dims);
        grown.set(slab);
        slab = grown;
      }
      ids.push(id);
      rows.set(id, row);
    }
    slab.set(normalise(vector), row * dims);
  }

  function remove(id: string): boolean {
    const row = rows.get(id);
    if (row === undefined || dimensions === undefined) return false;
    const last = ids.length - 1;
    if (row !== last) {
      const moved = ids[last]!;
      slab.copyWithin(row * dimensions, last * dimensions, (last + 1) * dimensions);
      ids[row] = moved;
      rows.set(moved, row);
    }
    ids.pop();
    rows.delete(id);
    return true;
  }

  function search(vector: Float32Array, k: number): VectorMatch[] {
    if (ids.length === 0 || k <= 0) return [];
    const dims = ensureDimensions(vector);
    const query = normalise(vector);
    const want = Math.min(k, ids.length);
    // The best `want` rows so far, kept sorted (k is small: a few candidates per lookup).
    const bestSims = new Float64Array(want).fill(-Infinity);
    const bestRows = new Int32Array(want).fill(-1);
    const data = slab;
    const count = ids.length;
    for (let row = 0, base = 0; row < count; row++, base += dims) {
      let dot = 0;
      for (let i = 0; i < dims; i++) dot += data[base + i]! * query[i]!;
      if (dot <= bestSims[want - 1]!) continue;
      let at = want - 1;
      while (at > 0 && bestSims[at - 1]! < dot) {
        bestSims[at] = bestSims[at - 1]!;
        bestRows[at] = bestRows[at - 1]!;
        at--;
      }
      bestSims[at] = dot;
      bestRows[at] = row;
    }
    const out: VectorMatch[] = [];
    for (let i = 0; i < want; i++) {
      const row = bestRows[i]!;
      if (row >= 0) out.push({ id: ids[row]!, similarity: bestSims[i]! });
    }
    return out;
  }

  return {
    add,
    remove,
    search,
    get size() {
      return ids.length;
    },
  };
}
