import { describe, expect, it } from 'vitest';
import { createSemanticCache, errorBoundedThreshold, fixedThreshold, KeelError, type CacheScope } from '../../src/index.js';
import { bagOfWordsEmbedder } from './helpers.js';

const acme: CacheScope = { tenant: 'acme', feature: 'support' };
const globex: CacheScope = { tenant: 'globex', feature: 'support' };

describe('createSemanticCache', () => {
  it('maps a reworded prompt to the key of a similar cached request', async () => {
    const cache = createSemanticCache({ embedder: bagOfWordsEmbedder(), policy: fixedThreshold(0.7) });
    await cache.remember(acme, 'how do i reset my password', 'k1');
    await cache.remember(acme, 'where are my invoices', 'k2');
    const hit = await cache.lookup(acme, { prompt: 'how do i reset my password please' });
    expect(hit).toEqual({ key: 'k1', similarity: expect.any(Number), threshold: 0.7 });
    expect(hit!.similarity).toBeGreaterThan(0.7);
    expect(await cache.lookup(acme, { prompt: 'cancel my subscription' })).toBeUndefined();
  });

  it('never answers across tenants, features, users or embedders, even for the same prompt', async () => {
    const embedder = bagOfWordsEmbedder();
    const cache = createSemanticCache({ embedder, policy: fixedThreshold(0.5) });
    await cache.remember(acme, 'how do i reset my password', 'acme-key');
    expect(await cache.lookup(acme, { prompt: 'how do i reset my password' })).toMatchObject({ key: 'acme-key' });
    expect(await cache.lookup(globex, { prompt: 'how do i reset my password' })).toBeUndefined();
    expect(await cache.lookup({ tenant: 'acme', feature: 'billing' }, { prompt: 'how do i reset my password' })).toBeUndefined();
    expect(await cache.lookup({ ...acme, user: 'u1' }, { prompt: 'how do i reset my password' })).toBeUndefined();

    await cache.remember({ ...acme, user: 'u1' }, 'how do i reset my password', 'u1-key');
    expect(await cache.lookup({ ...acme, user: 'u2' }, { prompt: 'how do i reset my password' })).toBeUndefined();
    expect(await cache.lookup({ ...acme, user: 'u1' }, { prompt: 'how do i reset my password' })).toMatchObject({ key: 'u1-key' });

    // A separator inside a value does not merge two scopes.
    await cache.remember({ tenant: 'a', feature: 'b|c' }, 'export my data', 'x');
    expect(await cache.lookup({ tenant: 'a|b', feature: 'c' }, { prompt: 'export my data' })).toBeUndefined();

    const other = createSemanticCache({ embedder: bagOfWordsEmbedder('bow-other'), policy: fixedThreshold(0.5) });
    expect(await other.lookup(acme, { prompt: 'how do i reset my password' })).toBeUndefined();
  });

  it('embeds once per lookup: lookup, nearest and remember with the same lookup share one embedding', async () => {
    const embedder = bagOfWordsEmbedder();
    const cache = createSemanticCache({ embedder, policy: fixedThreshold(0.7) });
    await cache.remember(acme, 'where are my invoices', 'k0');
    expect(embedder.calls).toBe(1);
    const asked = { prompt: 'how do i reset my password' };
    expect(await cache.lookup(acme, asked)).toBeUndefined();
    expect(await cache.nearest(acme, asked)).toBeDefined();
    await cache.remember(acme, asked.prompt, 'k1', asked);
    expect(embedder.calls).toBe(2);
    // Another call's lookup of the same text embeds it again: nothing is shared across calls.
    expect(await cache.lookup(acme, { prompt: asked.prompt })).toMatchObject({ key: 'k1' });
    expect(embedder.calls).toBe(3);
    // A lookup for another prompt than the one remembered is not used for it.
    await cache.remember(acme, 'cancel my subscription', 'k2', asked);
    expect(embedder.calls).toBe(4);
    expect(await cache.lookup(acme, { prompt: 'cancel my subscription' })).toMatchObject({ key: 'k2' });
  });

  it('remember embeds afresh when the lookup\'s embedding failed', async () => {
    const embedder = bagOfWordsEmbedder();
    const embed = embedder.embed;
    let failNext = false;
    embedder.embed = async (texts) => {
      if (failNext) {
        failNext = false;
        embedder.calls++;
        throw new KeelError('server', 'embedder down');
      }
      return embed(texts);
    };
    const cache = createSemanticCache({ embedder, policy: fixedThreshold(0.7) });
    await cache.remember(acme, 'where are my invoices', 'k0');
    const asked = { prompt: 'how do i reset my password' };
    failNext = true;
    await expect(cache.lookup(acme, asked)).rejects.toMatchObject({ kind: 'server' });
    await cache.remember(acme, asked.prompt, 'k1', asked);
    expect(embedder.calls).toBe(3);
    expect(await cache.lookup(acme, { prompt: asked.prompt })).toMatchObject({ key: 'k1' });
  });

  it('lets minSimilarity raise the threshold but never lower it', async () => {
    const cache = createSemanticCache({ embedder: bagOfWordsEmbedder(), policy: fixedThreshold(0.8) });
    await cache.remember(acme, 'how do i reset my password', 'k1');
    const prompt = 'how do i reset my password today';
    const plain = await cache.lookup(acme, { prompt });
    expect(plain).toBeDefined();
    expect(await cache.lookup(acme, { prompt, minSimilarity: 0.99 })).toBeUndefined();
    expect(await cache.lookup(acme, { prompt, minSimilarity: 0.1 })).toEqual(plain);
    const raised = await cache.lookup(acme, { prompt, minSimilarity: plain!.similarity - 0.01 });
    expect(raised?.threshold).toBeCloseTo(plain!.similarity - 0.01, 6);
  });

  it('applies the near-miss guards unless turned off', async () => {
    const guarded = createSemanticCache({ embedder: bagOfWordsEmbedder(), policy: fixedThreshold(0.6) });
    const unguarded = createSemanticCache({ embedder: bagOfWordsEmbedder(), policy: fixedThreshold(0.6), guards: false });
    for (const cache of [guarded, unguarded]) await cache.remember(acme, 'please refund order 4411 today', 'k');
    expect(await guarded.lookup(acme, { prompt: 'please refund order 4141 today' })).toBeUndefined();
    expect(await unguarded.lookup(acme, { prompt: 'please refund order 4141 today' })).toMatchObject({ key: 'k' });
  });

  it('skips a guarded nearest neighbour for the next candidate that passes', async () => {
    const cache = createSemanticCache({ embedder: bagOfWordsEmbedder(), policy: fixedThreshold(0.5) });
    await cache.remember(acme, 'why is the webhook not receiving events', 'negated');
    await cache.remember(acme, 'why is my webhook receiving events again', 'plain');
    expect(await cache.lookup(acme, { prompt: 'why is the webhook receiving events' })).toMatchObject({ key: 'plain' });
  });

  it('forget drops the vector; remember with the same key replaces it', async () => {
    const cache = createSemanticCache({ embedder: bagOfWordsEmbedder(), policy: fixedThreshold(0.7) });
    await cache.remember(acme, 'how do i reset my password', 'k1');
    await cache.remember(acme, 'how do i export invoices', 'k1');
    expect(cache.size(acme)).toBe(1);
    expect(await cache.lookup(acme, { prompt: 'how do i reset my password' })).toBeUndefined();
    expect(await cache.lookup(acme, { prompt: 'how do i export invoices' })).toMatchObject({ key: 'k1' });
    cache.forget(acme, 'k1');
    cache.forget(globex, 'k1'); // an unknown scope is a no-op
    expect(cache.size(acme)).toBe(0);
    expect(await cache.lookup(acme, { prompt: 'how do i export invoices' })).toBeUndefined();
  });

  it('keeps at most maxEntriesPerScope, dropping the least recently remembered', async () => {
    const cache = createSemanticCache({ embedder: bagOfWordsEmbedder(), policy: fixedThreshold(0.9), maxEntriesPerScope: 2 });
    await cache.remember(acme, 'alpha beta gamma', 'a');
    await cache.remember(acme, 'delta epsilon zeta', 'd');
    await cache.remember(acme, 'alpha beta gamma', 'a'); // refreshed: now the newest
    await cache.remember(acme, 'eta theta iota', 'e');
    expect(cache.size(acme)).toBe(2);
    expect(await cache.lookup(acme, { prompt: 'delta epsilon zeta' })).toBeUndefined();
    expect(await cache.lookup(acme, { prompt: 'alpha beta gamma' })).toMatchObject({ key: 'a' });
  });

  it('does not embed a lookup in a scope that holds nothing', async () => {
    const embedder = bagOfWordsEmbedder();
    const cache = createSemanticCache({ embedder, policy: fixedThreshold(0.5) });
    expect(await cache.lookup(acme, { prompt: 'anything' })).toBeUndefined();
    expect(embedder.calls).toBe(0);
  });

  it('learns per entry from verify feedback under the error-bounded policy', async () => {
    const cache = createSemanticCache({ embedder: bagOfWordsEmbedder(), policy: errorBoundedThreshold({ delta: 0.05 }) });
    await cache.remember(acme, 'how do i reset my password', 'k1');
    const prompt = 'how do i reset my password';
    expect(await cache.lookup(acme, { prompt })).toBeUndefined();
    const candidate = await cache.nearest(acme, { prompt });
    expect(candidate).toMatchObject({ key: 'k1', threshold: Infinity });
    for (let i = 0; i < 40; i++) cache.verify(acme, prompt, { ...candidate!, similarity: 0.9 + (i % 10) / 100 }, true);
    for (let i = 0; i < 40; i++) cache.verify(acme, prompt, { ...candidate!, similarity: 0.4 + (i % 30) / 100 }, false);
    const hit = await cache.lookup(acme, { prompt });
    expect(hit).toMatchObject({ key: 'k1' });
    expect(hit!.threshold).toBeGreaterThan(0.7);
  });

  it('stops before embedding when the lookup is already aborted', async () => {
    const cache = createSemanticCache({ embedder: bagOfWordsEmbedder(), policy: fixedThreshold(0.5) });
    await cache.remember(acme, 'x y z', 'k');
    const controller = new AbortController();
    controller.abort(new Error('gone'));
    await expect(cache.lookup(acme, { prompt: 'x y z', signal: controller.signal })).rejects.toThrow('gone');
  });

  it('refuses an unknown index choice', () => {
    expect(() => createSemanticCache({ embedder: bagOfWordsEmbedder(), policy: fixedThreshold(0.5), index: 'flat' as 'exact' })).toThrow(
      KeelError,
    );
  });

  it('runs over the usearch HNSW index too', async () => {
    const cache = createSemanticCache({ embedder: bagOfWordsEmbedder(), policy: fixedThreshold(0.7), index: 'hnsw' });
    await cache.remember(acme, 'how do i reset my password', 'k1');
    expect(await cache.lookup(acme, { prompt: 'how do i reset my password please' })).toMatchObject({ key: 'k1' });
    expect(await cache.lookup(globex, { prompt: 'how do i reset my password' })).toBeUndefined();
  });
});
