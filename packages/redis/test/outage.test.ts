import { once } from 'node:events';
import { KeelError, type ReserveLine } from '@keel/core';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { createRedisBudgetStore, createRedisRateLimitStore, type OutagePolicy } from '../src/index.js';
import { startRedisServer, type RedisServerHandle } from '../src/testing.js';

const line: ReserveLine = { key: 'budget:f=chat:tokens:day', scope: 'feature', unit: 'tokens', limit: 1_000, window: 'day', base: 0, perOutputToken: 1 };
const reserve = (id: string, tokens: number, lines = [line]) => ({ id, lines, minOutputTokens: tokens, maxOutputTokens: tokens, ttlMs: 60_000 });

let server: RedisServerHandle | undefined;
const clients: Redis[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) client.disconnect();
  await server?.stop();
});

/** A replica's client: reconnects quickly, and keeps commands queued however long Redis is gone. */
async function replica(): Promise<Redis> {
  const client = new Redis(server!.port, '127.0.0.1', { maxRetriesPerRequest: null, retryStrategy: () => 20 });
  client.on('error', () => {});
  clients.push(client);
  if (client.status !== 'ready') await once(client, 'ready');
  return client;
}

/** Kills Redis and waits until every client has noticed (no sleeping on a duration). */
async function outage(): Promise<void> {
  await server!.kill();
  await Promise.all(clients.map((client) => (client.status === 'reconnecting' ? Promise.resolve() : once(client, 'reconnecting').then(() => undefined))));
}

async function recover(): Promise<void> {
  await server!.restart();
  await Promise.all(clients.map((client) => (client.status === 'ready' ? Promise.resolve() : once(client, 'ready').then(() => undefined))));
}

const budgets = (client: Redis, onOutage?: OutagePolicy) => createRedisBudgetStore({ client, prefix: 'outage', onOutage, outageTimeoutMs: 60_000 });

describe('@keel/redis outage policy (a real redis-server, killed)', () => {
  it("fail-closed (default): refuses with a non-retryable 'server' KeelError naming no key, charging nothing", async () => {
    server = await startRedisServer({ appendonly: true });
    const store = budgets(await replica());
    expect((await store.reserve(reserve('before', 100))).ok).toBe(true);
    await outage();
    const error: unknown = await store.reserve(reserve('during', 100)).catch((e: unknown) => e);
    expect(KeelError.is(error) && { kind: error.kind, retryable: error.retryable }).toEqual({ kind: 'server', retryable: false });
    expect((error as Error).message).not.toContain('chat');
    await recover();
    // Back: counted in Redis again, and the refused call charged nothing.
    expect(await store.usage([line])).toMatchObject([{ held: 100 }]);
    expect((await store.reserve(reserve('after', 900))).ok).toBe(true);
  });

  it('fail-open: each replica counts alone in memory while Redis is down, then Redis counts again', async () => {
    server = await startRedisServer();
    const [a, b] = [budgets(await replica(), 'fail-open'), budgets(await replica(), 'fail-open')];
    await outage();
    // The documented cost of fail-open: each replica may spend the full limit.
    expect(await a.reserve(reserve('a1', 1_000))).toMatchObject({ ok: true, outputTokens: 1_000 });
    expect(await b.reserve(reserve('b1', 1_000))).toMatchObject({ ok: true, outputTokens: 1_000 });
    expect((await a.reserve(reserve('a2', 1))).ok).toBe(false);
    expect(await a.settle('a1', [1_000])).toBe(true);
    expect(await b.release('b1')).toBe(true);
    await recover();
    expect(await a.reserve(reserve('a3', 1_000))).toMatchObject({ ok: true });
    expect(await b.usage([line])).toMatchObject([{ held: 1_000, committed: 0 }]);
  });

  it('lease: replicas together stay within the room Redis last showed, at `share` each', async () => {
    server = await startRedisServer();
    const policy = { lease: { share: 0.5 } };
    const [a, b] = [budgets(await replica(), policy), budgets(await replica(), policy)];
    // Redis shows each replica 600 tokens of room on its last grant.
    expect((await a.reserve(reserve('seen-a', 400))).ok).toBe(true);
    expect(await b.reserve(reserve('seen-b', 0))).toMatchObject({ ok: true, remaining: [{ remaining: 600 }] });
    expect(await a.settle('seen-a', [400])).toBe(true);
    await outage();
    // a last saw 600 (its own hold counted), b 600: 300 each, 600 together — never more than was left.
    expect(await a.reserve(reserve('a1', 301))).toMatchObject({ ok: false, limit: 1_000 });
    expect(await a.reserve(reserve('a2', 300))).toMatchObject({ ok: true });
    expect(await b.reserve(reserve('b1', 300))).toMatchObject({ ok: true });
    expect((await b.reserve(reserve('b2', 1))).ok).toBe(false);
  });

  it('a Redis reservation settled during the outage is applied once Redis is back (AOF), exactly once', async () => {
    server = await startRedisServer({ appendonly: true });
    const client = await replica();
    const store = createRedisBudgetStore({ client, prefix: 'outage', outageTimeoutMs: 20 });
    expect((await store.reserve(reserve('call', 300))).ok).toBe(true);
    await outage();
    // Answered after the timeout; the command itself stays queued in ioredis.
    expect(await store.settle('call', [120])).toBe(true);
    await recover();
    const check = budgets(client);
    // The queued settle runs once the connection is back; wait on Redis itself for it to land.
    while ((await check.usage([line]))[0]!.held !== 0) await new Promise((resolve) => setImmediate(resolve));
    expect(await check.usage([line])).toMatchObject([{ committed: 120, held: 0 }]);
    expect(await check.settle('call', [120])).toBe(false);
  });

  it('rate limits: fail-closed refuses with a server KeelError; a lease takes `share` of each limit', async () => {
    server = await startRedisServer();
    const client = await replica();
    const closed = createRedisRateLimitStore({ client, prefix: 'rl', outageTimeoutMs: 60_000 });
    const leased = createRedisRateLimitStore({ client, prefix: 'rl', onOutage: { lease: { share: 0.25 } }, outageTimeoutMs: 60_000 });
    const rpm = { key: 'rate:f=chat:requests', limit: 8, amount: 1 };
    expect(await closed.take({ lines: [rpm] })).toEqual({ ok: true });
    await outage();
    await expect(closed.take({ lines: [rpm] })).rejects.toMatchObject({ kind: 'server', retryable: false });
    expect(await leased.take({ lines: [{ ...rpm, amount: 2 }] })).toEqual({ ok: true });
    expect(await leased.take({ lines: [rpm] })).toMatchObject({ ok: false, limit: 8 });
  });

  it('rejects a malformed policy', () => {
    const client = new Redis({ lazyConnect: true });
    expect(() => createRedisBudgetStore({ client, onOutage: { lease: { share: 0 } } })).toThrow(RangeError);
    expect(() => createRedisRateLimitStore({ client, onOutage: 'sometimes' as OutagePolicy })).toThrow(RangeError);
    client.disconnect();
  });
});
