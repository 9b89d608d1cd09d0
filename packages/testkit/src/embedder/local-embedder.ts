import type { Embedder } from '@keel/core';
import { contentWords } from './normalise-text.js';

export interface LocalEmbedderOptions {
  /** Vector length. @default 384 */
  readonly dimensions?: number | undefined;
  /** Embedder id (vectors from different ids are never compared). @default `local-hash-${dimensions}` */
  readonly id?: string | undefined;
}

/** 32-bit FNV-1a. */
function hash(text: string, seed: number): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

function addFeature(vector: Float32Array, feature: string, weight: number): void {
  const h = hash(feature, 0);
  // One bit of a second hash picks the sign, so collisions cancel instead of piling up.
  const sign = hash(feature, 0x9e3779b9) & 1 ? 1 : -1;
  vector[h % vector.length]! += sign * weight;
}

/**
 * One deterministic vector for `text`: hashed word unigrams (weight 1), word bigrams (0.5) and
 * character trigrams of each word (0.25 each), unit length. Rewordings share words and trigrams,
 * so they score high; unrelated prompts share little and score low. No model, no network.
 */
export function localEmbedding(text: string, dimensions = 384): Float32Array {
  const vector = new Float32Array(dimensions);
  const words = contentWords(text);
  words.forEach((word, i) => {
    addFeature(vector, `w:${word}`, 1);
    if (i > 0) addFeature(vector, `b:${words[i - 1]!} ${word}`, 0.5);
    const padded = `^${word}$`;
    for (let j = 0; j + 3 <= padded.length; j++) addFeature(vector, `t:${padded.slice(j, j + 3)}`, 0.25);
  });
  let sum = 0;
  for (const value of vector) sum += value * value;
  if (sum > 0) {
    const scale = 1 / Math.sqrt(sum);
    for (let i = 0; i < dimensions; i++) vector[i]! *= scale;
  }
  return vector;
}

/** A deterministic local {@link Embedder} for tests, benches and offline demos. */
export function createLocalEmbedder(options: LocalEmbedderOptions = {}): Embedder {
  const dimensions = options.dimensions ?? 384;
  if (!Number.isInteger(dimensions) || dimensions < 8) throw new RangeError('dimensions must be an integer ≥ 8.');
  return {
    id: options.id ?? `local-hash-${dimensions}`,
    dimensions,
    embed: async (texts, embedOptions) => {
      embedOptions?.signal?.throwIfAborted();
      return texts.map((text) => localEmbedding(text, dimensions));
    },
  };
}
