import { describe, expect, it } from 'vitest';
import { createExactIndex, KeelError, normalise } from '../../src/index.js';
import { cosine, randomVectors } from './helpers.js';

describe('createExactIndex', () => {
  it('returns the k most similar, most similar first, with their cosine similarity', () => {
    const vectors = randomVectors(200, 16, 3);
    const index = createExactIndex({ initialCapacity: 8 }); // forces the slab to grow
    vectors.forEach((vector, i) => index.add(`v${i}`, vector));
    const query = randomVectors(1, 16, 99)[0]!;
    const expected = vectors
      .map((vector, i) => ({ id: `v${i}`, similarity: cosine(vector, query) }))
      .sort((a, b) => b.similarity - a.similarity)
      .slice(0, 5);
    const found = index.search(query, 5);
    expect(found.map((m) => m.id)).toEqual(expected.map((m) => m.id));
    found.forEach((match, i) => expect(match.similarity).toBeCloseTo(expected[i]!.similarity, 5));
    expect(index.size).toBe(200);
  });

  it('finds a stored vector itself at similarity 1, whatever its length', () => {
    const index = createExactIndex();
    const [a, b] = randomVectors(2, 8, 5);
    index.add('a', a!.map((x) => x * 10));
    index.add('b', b!);
    expect(index.search(a!, 1)[0]).toEqual({ id: 'a', similarity: expect.closeTo(1, 5) });
  });

  it('removes by moving the last row into the hole, keeping every other vector findable', () => {
    const vectors = randomVectors(10, 8, 7);
    const index = createExactIndex();
    vectors.forEach((vector, i) => index.add(`v${i}`, vector));
    expect(index.remove('v3')).toBe(true);
    expect(index.remove('v3')).toBe(false);
    expect(index.size).toBe(9);
    for (const [i, vector] of vectors.entries()) {
      const top = index.search(vector, 1)[0]!;
      if (i === 3) expect(top.id).not.toBe('v3');
      else expect(top.id).toBe(`v${i}`);
    }
  });

  it('replaces the vector of an id added again', () => {
    const [a, b] = randomVectors(2, 8, 11);
    const index = createExactIndex();
    index.add('x', a!);
    index.add('x', b!);
    expect(index.size).toBe(1);
    expect(index.search(b!, 1)[0]!.similarity).toBeCloseTo(1, 5);
  });

  it('returns nothing from an empty index and refuses a vector of another length', () => {
    const index = createExactIndex({ dimensions: 4 });
    expect(index.search(new Float32Array(4), 3)).toEqual([]);
    expect(() => index.add('x', new Float32Array(5))).toThrow(KeelError);
  });

  it('normalise leaves a zero vector zero and scales others to unit length', () => {
    expect([...normalise(new Float32Array(3))]).toEqual([0, 0, 0]);
    const unit = normalise(Float32Array.from([3, 4]));
    expect(unit[0]).toBeCloseTo(0.6, 6);
    expect(unit[1]).toBeCloseTo(0.8, 6);
  });
});
