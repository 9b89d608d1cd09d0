/**
 * The done-when of @keel/redis: 4 processes × 250 concurrent calls on one budget through
 * createKeel and the real openai SDK never overspend, counted from the testkit server's request
 * log; a Redis SIGKILLed and restarted mid-run (appendonly, appendfsync always) loses no spend
 * and double-charges nothing. No timing is asserted: the kill is triggered by the Nth request's
 * arrival, so some calls are always in flight across it, however fast the machine is.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { budgetKey } from '@keel/core';
import { createRedisBudgetStore } from '@keel/redis';
import { startRedisServer, type RedisServerHandle } from '@keel/redis/testing';
import { createTestServer, type TestServer } from '@keel/testkit';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';

const WORKER = fileURLToPath(new URL('./replica-worker.ts', import.meta.url));
const REPLICAS = 4;
const CALLS = 250;
const LIMIT = 6_000;

let redis: RedisServerHandle | undefined;
let provider: TestServer | undefined;
const children: ChildProcess[] = [];
afterEach(async () => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
  await provider?.close();
  await redis?.stop();
});

interface Replica {
  readonly ready: Promise<void>;
  readonly done: Promise<Record<string, number>>;
  go(): void;
}

function startReplica(env: Record<string, string>): Replica {
  const child = spawn(process.execPath, ['--conditions=keel-source', '--import', 'tsx', WORKER], { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'inherit'] });
  children.push(child);
  const lines = createInterface({ input: child.stdout });
  let markReady: () => void;
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  const done = new Promise<Record<string, number>>((resolve, reject) => {
    lines.on('line', (line) => (line === 'ready' ? markReady() : resolve(JSON.parse(line) as Record<string, number>)));
    child.once('exit', (code) => reject(new Error(`replica exited (${code}) before reporting`)));
  });
  return { ready, done, go: () => child.stdin.write('go\n') };
}

const served = (s: TestServer) => s.requests.reduce((sum, r) => sum + r.served.inputTokens + r.served.outputTokens, 0);

async function runReplicas(prefix: string, onRequest?: (n: number) => void) {
  let arrivals = 0;
  provider = await createTestServer({
    script: () => {
      onRequest?.(++arrivals);
      return { type: 'ok' };
    },
  });
  const env = { REDIS_PORT: String(redis!.port), PROVIDER_URL: provider.url, PREFIX: prefix, LIMIT: String(LIMIT), CALLS: String(CALLS) };
  const replicas = Array.from({ length: REPLICAS }, () => startReplica(env));
  await Promise.all(replicas.map((r) => r.ready));
  for (const r of replicas) r.go();
  const reports = await Promise.all(replicas.map((r) => r.done));
  const totals: Record<string, number> = {};
  for (const report of reports) for (const [kind, n] of Object.entries(report)) totals[kind] = (totals[kind] ?? 0) + n;
  return totals;
}

async function counters(prefix: string) {
  const client = new Redis(redis!.port, '127.0.0.1');
  try {
    const store = createRedisBudgetStore({ client, prefix });
    const [line] = await store.usage([{ key: budgetKey('feature', 'tokens', 'day', { feature: 'chat' })!, unit: 'tokens', limit: LIMIT, window: 'day' }]);
    return line!;
  } finally {
    client.disconnect();
  }
}

describe('@keel/redis: one budget across 4 replicas (real openai SDK, testkit server)', () => {
  it('4 × 250 concurrent calls never overspend; Redis counts exactly what was served', async () => {
    redis = await startRedisServer();
    const totals = await runReplicas('replicas');
    const line = await counters('replicas');

    expect(totals.ok! + totals.budget_exceeded!).toBe(REPLICAS * CALLS);
    expect(totals.ok).toBe(provider!.requests.length);
    expect(totals.budget_exceeded).toBeGreaterThan(0);
    expect(served(provider!)).toBeLessThanOrEqual(LIMIT);
    // Settled with the usage each reply reported: exactly what the server served, held nothing.
    expect(line).toMatchObject({ committed: served(provider!), held: 0 });
  }, 180_000);

  it('Redis SIGKILLed and restarted mid-run (appendfsync always): no spend lost, nothing charged twice', async () => {
    redis = await startRedisServer({ appendonly: true });
    let restarted: Promise<void> | undefined;
    const totals = await runReplicas('crash', (n) => {
      // Synchronously, while this request and others are in flight: their settles meet a dead Redis.
      if (n === 40) {
        void redis!.kill();
        restarted = redis!.restart();
      }
    });
    await restarted;
    const line = await counters('crash');

    expect(restarted).toBeDefined();
    // A reserve that meets the dead Redis is refused (onOutage: fail-closed, the default) before
    // anything is sent; every other call is answered or refused by the budget.
    for (const kind of Object.keys(totals)) expect(['ok', 'budget_exceeded', 'server']).toContain(kind);
    expect(totals.ok! + totals.budget_exceeded! + (totals.server ?? 0)).toBe(REPLICAS * CALLS);
    expect(totals.ok).toBe(provider!.requests.length);
    expect(provider!.requests.length).toBeGreaterThan(40);
    expect(served(provider!)).toBeLessThanOrEqual(LIMIT);
    // Lost nothing (committed ≥ served) and doubled nothing (committed ≤ served), nothing left held.
    expect(line).toMatchObject({ committed: served(provider!), held: 0 });
  }, 180_000);
});
