/**
 * The semantic layer at 100k entries: `pnpm bench:semantic`.
 *
 * One scope holding 100,000 support-style prompts embedded by the testkit's local embedder
 * (384 dimensions). Measured per lookup, separately: the embedder (local hashing), the index
 * search (exact slab scan vs usearch HNSW, k = 4), and the whole `lookup` (embed + search +
 * guards + policy). Recall@1 of HNSW against the exact scan over the same queries. Writes
 * docs/bench/semantic.json. `BENCH_QUICK=1` uses 10k entries.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, platform, release } from 'node:os';
import { fileURLToPath } from 'node:url';
import { createExactIndex, createHnswIndex, createSemanticCache, fixedThreshold, type VectorIndex } from '@keel/core';
import { createLocalEmbedder, localEmbedding } from '@keel/testkit';

const quick = process.env['BENCH_QUICK'] === '1';
const ENTRIES = quick ? 10_000 : 100_000;
const QUERIES = quick ? 200 : 500;
const DIMENSIONS = 384;
const outFile = fileURLToPath(new URL('../../docs/bench/semantic.json', import.meta.url));

/** mulberry32: the same corpus every run. */
function rng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), state | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const OPENERS = ['How do I', 'How can I', 'Why can I not', 'Is it possible to', 'What is the way to', 'Can you help me'];
const VERBS = ['reset', 'export', 'delete', 'rotate', 'configure', 'cancel', 'restore', 'upgrade', 'merge', 'share', 'archive', 'import'];
const OBJECTS = ['my password', 'the invoice', 'an API key', 'the webhook', 'my subscription', 'the dashboard', 'audit logs', 'a project', 'the workspace', 'SSO', 'billing details', 'a report'];
const CONTEXTS = ['for tenant', 'on order', 'in region', 'for ticket', 'after deploy', 'for user', 'on plan', 'for invoice'];

function corpus(count: number): string[] {
  const random = rng(42);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  return Array.from({ length: count }, (_, i) => `${pick(OPENERS)} ${pick(VERBS)} ${pick(OBJECTS)} ${pick(CONTEXTS)} ${i}?`);
}

/** A reworded stored prompt: opener swapped, "please" added. */
function reword(prompt: string): string {
  return `Please, ${prompt.replace(/^(How do I|How can I)/, 'what steps let me')}`;
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function summary(samples: number[]): { p50Ms: number; p99Ms: number; meanMs: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  const round = (ms: number) => Math.round(ms * 1000) / 1000;
  return { p50Ms: round(percentile(sorted, 50)), p99Ms: round(percentile(sorted, 99)), meanMs: round(samples.reduce((s, x) => s + x, 0) / samples.length) };
}

function time<T>(fn: () => T): [T, number] {
  const start = performance.now();
  const value = fn();
  return [value, performance.now() - start];
}

/** Top-1 ids and per-query times. */
function searchAll(index: VectorIndex, queries: readonly Float32Array[]): [(string | undefined)[], number[]] {
  const tops: (string | undefined)[] = [];
  const samples: number[] = [];
  for (const query of queries) {
    const [found, ms] = time(() => index.search(query, 4));
    tops.push(found[0]?.id);
    samples.push(ms);
  }
  return [tops, samples];
}

async function main(): Promise<void> {
  const prompts = corpus(ENTRIES);
  const random = rng(7);
  const queryPrompts = Array.from({ length: QUERIES }, () => reword(prompts[Math.floor(random() * prompts.length)]!));

  // Embedding cost, on its own.
  const [vectors, embedAllMs] = time(() => prompts.map((prompt) => localEmbedding(prompt, DIMENSIONS)));
  const embedSamples = queryPrompts.map((prompt) => time(() => localEmbedding(prompt, DIMENSIONS))[1]);
  const queryVectors = queryPrompts.map((prompt) => localEmbedding(prompt, DIMENSIONS));

  // Index build and search.
  const exact = createExactIndex({ dimensions: DIMENSIONS });
  const [, exactBuildMs] = time(() => vectors.forEach((vector, i) => exact.add(`k${i}`, vector)));
  const hnsw: VectorIndex = await createHnswIndex({ dimensions: DIMENSIONS });
  const [, hnswBuildMs] = time(() => vectors.forEach((vector, i) => hnsw.add(`k${i}`, vector)));
  // Each index's queries in a run of their own, so one's scan does not evict the other's graph.
  const [exactTops, exactSamples] = searchAll(exact, queryVectors);
  const [hnswTops, hnswSamples] = searchAll(hnsw, queryVectors);
  const agree = exactTops.filter((id, i) => id === hnswTops[i]).length;

  // The whole lookup (embed + search + guards + policy), one scope of ENTRIES prompts.
  const embedder = createLocalEmbedder({ dimensions: DIMENSIONS });
  const scope = { tenant: 'bench', feature: 'support' };
  const lookups: Record<string, ReturnType<typeof summary> & { hits: number }> = {};
  for (const index of ['exact', 'hnsw'] as const) {
    const cache = createSemanticCache({ embedder, index, policy: fixedThreshold(0.8), maxEntriesPerScope: ENTRIES });
    for (const [i, prompt] of prompts.entries()) await cache.remember(scope, prompt, `k${i}`);
    const samples: number[] = [];
    let hits = 0;
    for (const prompt of queryPrompts) {
      const start = performance.now();
      const hit = await cache.lookup(scope, { prompt });
      samples.push(performance.now() - start);
      if (hit) hits++;
    }
    lookups[index] = { ...summary(samples), hits };
  }

  const result = {
    generatedAt: new Date().toISOString(),
    machine: { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, platform: `${platform()} ${release()}`, node: process.version },
    entries: ENTRIES,
    queries: QUERIES,
    dimensions: DIMENSIONS,
    embedder: { name: 'testkit local (hashed words + trigrams)', perQuery: summary(embedSamples), embedAllEntriesMs: Math.round(embedAllMs) },
    search: {
      exact: { ...summary(exactSamples), buildMs: Math.round(exactBuildMs) },
      hnsw: { ...summary(hnswSamples), buildMs: Math.round(hnswBuildMs), connectivity: 16, expansionAdd: 128, expansionSearch: 64 },
    },
    recallAt1: agree / QUERIES,
    lookup: lookups,
  };
  await mkdir(fileURLToPath(new URL('../../docs/bench/', import.meta.url)), { recursive: true });
  await writeFile(outFile, `${JSON.stringify(result, null, 2)}\n`);
  console.log(JSON.stringify(result, null, 2));
}

await main();
