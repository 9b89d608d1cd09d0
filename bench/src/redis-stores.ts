/**
 * @keel/redis on loopback beside rate-limiter-flexible, measured in the same run against the
 * same redis-server: `pnpm --filter @keel/bench bench:redis` (root: `pnpm bench:redis`).
 *
 * Latency per operation, one at a time (concurrency 1) and 64 in flight, p50 / p99 in µs:
 * - keel budget reserve + settle (1 line, and 4 lines: feature, user, tenant, global),
 * - keel rate-limit take (2 lines: requests + tokens),
 * - rate-limiter-flexible `consume` (one counter), and `consume` + `reward` (its nearest to a
 *   reserve that is settled lower afterwards).
 * Writes bench/results/redis-stores.json. Needs redis-server on PATH. BENCH_QUICK=1: fewer samples.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { ReserveLine } from '@keel/core';
import { createRedisBudgetStore, createRedisRateLimitStore } from '@keel/redis';
import { hasRedisServer, startRedisServer } from '@keel/redis/testing';
import { Redis } from 'ioredis';
import { RateLimiterRedis } from 'rate-limiter-flexible';

const quick = process.env['BENCH_QUICK'] === '1';
const SAMPLES = quick ? 2_000 : 20_000;
const WARMUP = quick ? 200 : 2_000;
const resultsDir = fileURLToPath(new URL('../results/', import.meta.url));

if (!hasRedisServer()) {
  console.error('bench:redis: redis-server was not found on PATH (apt-get install redis-server); nothing measured.');
  process.exit(2);
}

interface Row {
  readonly name: string;
  readonly concurrency: number;
  readonly samples: number;
  readonly p50Us: number;
  readonly p99Us: number;
  readonly opsPerSec: number;
}

const quantile = (sorted: Float64Array, q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;

/** Runs `op` SAMPLES times with `concurrency` in flight; each sample is one op's latency. */
async function measure(name: string, concurrency: number, op: (i: number) => Promise<unknown>): Promise<Row> {
  for (let i = 0; i < WARMUP; i++) await op(-1 - i);
  const times = new Float64Array(SAMPLES);
  let next = 0;
  const began = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < SAMPLES; i = next++) {
        const start = performance.now();
        await op(i);
        times[i] = (performance.now() - start) * 1_000;
      }
    }),
  );
  const elapsed = performance.now() - began;
  times.sort();
  const row = { name, concurrency, samples: SAMPLES, p50Us: Math.round(quantile(times, 0.5)), p99Us: Math.round(quantile(times, 0.99)), opsPerSec: Math.round((SAMPLES / elapsed) * 1_000) };
  console.log(`${name.padEnd(46)} c=${String(concurrency).padStart(2)}  p50 ${String(row.p50Us).padStart(6)} µs  p99 ${String(row.p99Us).padStart(6)} µs  ${row.opsPerSec} ops/s`);
  return row;
}

const server = await startRedisServer();
const client = new Redis(server.port, '127.0.0.1');
const budgets = createRedisBudgetStore({ client, prefix: 'bench' });
const rateLimits = createRedisRateLimitStore({ client, prefix: 'bench' });
const huge = 1e15;
const line = (key: string, scope: ReserveLine['scope']): ReserveLine => ({ key, scope, unit: 'tokens', limit: huge, window: 'day', base: 120, perOutputToken: 1 });
const oneLine = [line('budget:f=chat:tokens:day', 'feature')];
const fourLines = [oneLine[0]!, line('budget:f=chat/u=ann:tokens:day', 'user'), line('budget:f=chat/t=acme:tokens:day', 'tenant'), line('budget:global:tokens:day', 'global')];
const reserveSettle = (lines: readonly ReserveLine[], tag: string) => async (i: number) => {
  const id = `${tag}-${i}-${Math.random()}`;
  const r = await budgets.reserve({ id, lines, minOutputTokens: 1, maxOutputTokens: 256, ttlMs: 120_000 });
  if (!r.ok) throw new Error('refused');
  await budgets.settle(id, lines.map(() => 200));
};
const rlf = new RateLimiterRedis({ storeClient: client, keyPrefix: 'rlf', points: huge, duration: 60 });

const rows: Row[] = [];
for (const concurrency of [1, 64]) {
  rows.push(await measure('keel budget reserve + settle (1 line)', concurrency, reserveSettle(oneLine, `one${concurrency}`)));
  rows.push(await measure('keel budget reserve + settle (4 lines)', concurrency, reserveSettle(fourLines, `four${concurrency}`)));
  rows.push(
    await measure('keel rate-limit take (2 lines)', concurrency, () =>
      rateLimits.take({ lines: [{ key: 'rate:f=chat:requests', limit: huge, amount: 1 }, { key: 'rate:f=chat:tokens', limit: huge, amount: 376 }] }),
    ),
  );
  rows.push(await measure('rate-limiter-flexible consume', concurrency, () => rlf.consume('chat', 376)));
  rows.push(
    await measure('rate-limiter-flexible consume + reward', concurrency, async () => {
      await rlf.consume('chat', 376);
      await rlf.reward('chat', 176);
    }),
  );
}

const s = /redis_version:(\S+)/.exec(await client.info("server"))?.[1] ?? "unknown";
const result = {
  date: new Date().toISOString(),
  node: process.versions.node,
  redis: s,
  cpu: cpus()[0]?.model.trim() ?? 'unknown',
  cores: cpus().length,
  loadAverageAtStart: Number(loadavg()[0]!.toFixed(2)),
  quick,
  note: 'loopback redis-server started by the bench (no persistence); latencies include the ioredis round trip',
  rows,
};
await mkdir(resultsDir, { recursive: true });
await writeFile(`${resultsDir}redis-stores.json`, `${JSON.stringify(result, null, 2)}\n`);
console.log(`wrote ${resultsDir}redis-stores.json`);
client.disconnect();
await server.stop();
