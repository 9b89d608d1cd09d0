/**
 * The exact cache: `pnpm bench:cache`.
 *
 * 1. A hit's latency through the whole `keel.chat` (validation, cache plan, SHA-256 key, store
 *    lookup, entry decode, result), after warm-up, p50 / p99 over many calls; beside it the same
 *    feature's miss through an in-process provider that answers at once (so a miss shows Keel's
 *    own work plus writing the entry).
 * 2. Memory per entry: the heap taken by N entries in the embedded store (lru-cache, after a
 *    forced GC) over the answer text they hold — the entry's overhead beyond its payload.
 * Writes docs/bench/cache.json. Run with `--expose-gc` (the script does) for the memory figure.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, platform, release } from 'node:os';
import { fileURLToPath } from 'node:url';
import { createKeel, createMemoryCacheStore } from '@keel/core';
import { createScriptedProvider } from '@keel/testkit';

const outFile = fileURLToPath(new URL('../../docs/bench/cache.json', import.meta.url));
const HIT_CALLS = 20_000;
const MISS_CALLS = 5_000;
const ENTRIES = 20_000;
const PAYLOAD_BYTES = 1_000;

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
}

function summary(samplesMs: number[]) {
  samplesMs.sort((a, b) => a - b);
  const us = (ms: number) => Math.round(ms * 1000 * 100) / 100;
  return { p50Us: us(percentile(samplesMs, 0.5)), p99Us: us(percentile(samplesMs, 0.99)), calls: samplesMs.length };
}

async function latency() {
  const answer = 'A cached answer of a typical length for a support question. '.repeat(4);
  const keel = createKeel({
    providers: [createScriptedProvider({ id: 'bench', defaultText: answer })],
    features: { f: { models: [{ provider: 'bench', model: 'm' }], maxTokens: 256, temperature: 0, cache: {} } },
  });
  const request = { feature: 'f', tenant: 'acme', messages: [{ role: 'user' as const, content: 'How do I rotate an API key for my workspace?' }] };
  await keel.chat(request);
  for (let i = 0; i < 2_000; i++) await keel.chat(request);
  const hits: number[] = [];
  for (let i = 0; i < HIT_CALLS; i++) {
    const start = performance.now();
    const result = await keel.chat(request);
    hits.push(performance.now() - start);
    if (!result.cached) throw new Error('expected a hit');
  }
  const misses: number[] = [];
  for (let i = 0; i < MISS_CALLS; i++) {
    const start = performance.now();
    await keel.chat({ ...request, messages: [{ role: 'user', content: `Question number ${i}` }] });
    misses.push(performance.now() - start);
  }
  keel.close();
  return { hit: summary(hits), miss: summary(misses) };
}

function heapAfterGc(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  gc?.();
  return process.memoryUsage().heapUsed;
}

function memory() {
  const store = createMemoryCacheStore({ maxBytes: 1024 * 1024 * 1024 });
  const text = 'x'.repeat(PAYLOAD_BYTES);
  const before = heapAfterGc();
  for (let i = 0; i < ENTRIES; i++) {
    // The shape the stage stores: one JSON string per entry, keyed by a 78-character key.
    const json = JSON.stringify({ v: 1, text: `${i}${text}`, finishReason: 'stop', provider: 'openai', model: 'gpt-4o-mini', usage: { inputTokens: 12, outputTokens: 250 }, createdAt: Date.now() });
    store.set(`keel:cache:v1:${i.toString(16).padStart(64, '0')}`, json, { ttlMs: 3_600_000, bytes: json.length });
  }
  const perEntry = (heapAfterGc() - before) / ENTRIES;
  return { entries: ENTRIES, payloadBytes: PAYLOAD_BYTES, heapBytesPerEntry: Math.round(perEntry), overheadBytesPerEntry: Math.round(perEntry - PAYLOAD_BYTES), gcExposed: typeof (globalThis as { gc?: unknown }).gc === 'function', storeSize: store.size };
}

const result = {
  machine: { cpus: cpus().length, model: cpus()[0]?.model, platform: platform(), release: release(), node: process.version },
  date: new Date().toISOString(),
  ...(await latency()),
  memory: memory(),
};
console.log(JSON.stringify(result, null, 2));
await mkdir(fileURLToPath(new URL('../../docs/bench/', import.meta.url)), { recursive: true });
await writeFile(outFile, `${JSON.stringify(result, null, 2)}\n`);
