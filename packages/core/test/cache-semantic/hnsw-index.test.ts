import { describe, expect, it } from 'vitest';
import { createExactIndex, createHnswIndex, KeelError } from '../../src/index.js';
import { loadUsearch } from '../../src/cache/semantic/index-usearch.js';
import { randomVectors } from './helpers.js';

describe('createHnswIndex (usearch)', () => {
  it('agrees with the exact scan on the nearest neighbour for almost every query', async () => {
    const vectors = randomVectors(2000, 32, 21);
    const hnsw = await createHnswIndex({ dimensions: 32 });
    const exact = createExactIndex();
    vectors.forEach((vector, i) => {
      hnsw.add(`v${i}`, vector);
      exact.add(`v${i}`, vector);
    });
    const queries = randomVectors(100, 32, 77);
    const agree = queries.filter((q) => hnsw.search(q, 1)[0]?.id === exact.search(q, 1)[0]?.id).length;
    expect(agree).toBeGreaterThanOrEqual(95);
    const top = hnsw.search(queries[0]!, 1)[0]!;
    expect(top.similarity).toBeCloseTo(exact.search(queries[0]!, 1)[0]!.similarity, 4);
  });

  it('maps string ids, replaces re-added ids and forgets removed ones', async () => {
    const [a, b] = randomVectors(2, 8, 4);
    const index = await createHnswIndex({ dimensions: 8 });
    index.add('key:a', a!);
    index.add('key:a', b!);
    expect(index.size).toBe(1);
    expect(index.search(b!, 1)[0]).toEqual({ id: 'key:a', similarity: expect.closeTo(1, 4) });
    expect(index.remove('key:a')).toBe(true);
    expect(index.size).toBe(0);
    expect(index.search(b!, 1)).toEqual([]);
  });

  it('names the missing optional peer in a bad_request when usearch cannot be loaded', async () => {
    const error = await loadUsearch('usearch-not-installed-here').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KeelError);
    expect(error).toMatchObject({ kind: 'bad_request', message: expect.stringContaining('npm install usearch') });
    await expect(loadUsearch()).resolves.toHaveProperty('Index');
  });
});
