import type { Embedder } from '../../src/index.js';

/** A bag-of-words embedder for core's own tests (the testkit's richer one is not imported here). */
export function bagOfWordsEmbedder(id = 'bow-64', dimensions = 64): Embedder & { calls: number } {
  const embedder = {
    id,
    dimensions,
    calls: 0,
    embed: async (texts: readonly string[]) => {
      embedder.calls++;
      return texts.map((text) => {
        const vector = new Float32Array(dimensions);
        for (const word of text.toLowerCase().match(/[a-z0-9']+/g) ?? []) {
          let h = 2166136261;
          for (let i = 0; i < word.length; i++) h = Math.imul(h ^ word.charCodeAt(i), 16777619) >>> 0;
          vector[h % dimensions]! += 1;
        }
        return vector;
      });
    },
  };
  return embedder;
}

/** Deterministic pseudo-random unit-ish vectors (mulberry32). */
export function randomVectors(count: number, dimensions: number, seed = 1): Float32Array[] {
  let state = seed >>> 0;
  const random = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), state | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296 - 0.5;
  };
  return Array.from({ length: count }, () => Float32Array.from({ length: dimensions }, random));
}

export function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return dot / Math.sqrt(na * nb);
}
