import type { ReserveLine } from '@keel/core';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisBudgetStore } from '../src/index.js';
import { startRedisServer, type RedisServerHandle } from '../src/testing.js';
import { startLossyProxy, type LossyProxy } from './lossy-proxy.js';

let server: RedisServerHandle;
let client: Redis;
let prefixes = 0;
const line = (key: string, limit: number, base = 0): ReserveLine => ({ key, scope: 'feature', unit: 'tokens', limit, window: 'day', base, perOutputToken: 1 });
const store = (options: { client?: Redis; prefix?: string } = {}) => createRedisBudgetStore({ client: options.client ?? client, prefix: options.prefix ?? `t${prefixes++}`, outageTimeoutMs: 60_000 });
const serverNow = async () => {
  const [s, us] = await client.time();
  return Number(s) * 1000 + Math.floor(Number(us) / 1000);
};

beforeAll(async () => {
  server = await startRedisServer();
  client = new Redis(server.port, '127.0.0.1');
});
afterAll(async () => {
  client.disconnect();
  await server.stop();
});

describe('Redis BudgetStore: the server’s clock', () => {
  it('stamps holds with the server’s TIME and ignores the caller’s now', async () => {
    const budgets = store();
    const before = await serverNow();
    const r = await budgets.reserve({ id: 'a', lines: [line('k', 100)], minOutputTokens: 10, maxOutputTokens: 10, ttlMs: 5_000, now: 0 });
    const after = await serverNow();
    if (!r.ok) throw new Error('refused');
    expect(r.expiresAt).toBeGreaterThanOrEqual(before + 5_000);
    expect(r.expiresAt).toBeLessThanOrEqual(after + 5_000);
  });

  it('expires a vanished caller’s hold once the server’s clock passes it, on the next operation', async () => {
    const budgets = store();
    const k = line('k', 100);
    const r = await budgets.reserve({ id: 'gone', lines: [k], minOutputTokens: 100, maxOutputTokens: 100, ttlMs: 1 });
    if (!r.ok) throw new Error('refused');
    // No sleeping on a duration: wait until the server itself says the hold is past due.
    while ((await serverNow()) < r.expiresAt) await new Promise((resolve) => setTimeout(resolve, 1));
    expect(await budgets.usage([k])).toMatchObject([{ held: 0, committed: 0, remaining: 100 }]);
    expect(await budgets.settle('gone', [100])).toBe(false);
  });
});

describe('Redis BudgetStore: scripts and keys', () => {
  it('after SCRIPT FLUSH reloads the scripts (NOSCRIPT → EVAL) and charges exactly once', async () => {
    const budgets = store();
    const k = line('k', 1_000, 10);
    const a = await budgets.reserve({ id: 'a', lines: [k], minOutputTokens: 90, maxOutputTokens: 90, ttlMs: 60_000 });
    expect(a.ok).toBe(true);
    await client.script('FLUSH');
    expect(await budgets.settle('a', [70])).toBe(true);
    await client.script('FLUSH');
    const b = await budgets.reserve({ id: 'b', lines: [k], minOutputTokens: 90, maxOutputTokens: 90, ttlMs: 60_000 });
    expect(b).toMatchObject({ ok: true, remaining: [{ remaining: 830 }] });
    await client.script('FLUSH');
    expect(await budgets.charge('b', 5)).toMatchObject({ ok: true, outputTokens: 5 });
    await client.script('FLUSH');
    expect(await budgets.release('b')).toBe(true);
    await client.script('FLUSH');
    expect(await budgets.usage([k])).toMatchObject([{ committed: 70 + 15, held: 0, remaining: 915 }]);
  });

  it('keeps every key under one hash tag, persists counters with live holds, and gives idle ones a TTL', async () => {
    const budgets = store({ prefix: 'tagged' });
    const lines = [line('budget:f=chat:tokens:day', 1_000), { ...line('budget:f=chat/u=ann:usd:sliding60000', 1), unit: 'usd' as const, window: { sliding: 60_000 } }];
    const r = await budgets.reserve({ id: 'call-1', lines, minOutputTokens: 0, maxOutputTokens: 0, ttlMs: 60_000 });
    expect(r.ok).toBe(true);
    const keys = await client.keys('*');
    expect(keys.filter((key) => key.startsWith('{tagged}:')).sort()).toEqual(['{tagged}:b:budget:f=chat/u=ann:usd:sliding60000', '{tagged}:b:budget:f=chat:tokens:day', '{tagged}:exp', '{tagged}:r:call-1']);
    expect(await client.pttl('{tagged}:b:budget:f=chat:tokens:day')).toBe(-1);
    expect(await budgets.settle('call-1', [100, 0.5])).toBe(true);
    const ttlDay = await client.pttl('{tagged}:b:budget:f=chat:tokens:day');
    expect(ttlDay).toBeGreaterThan(0);
    expect(ttlDay).toBeLessThanOrEqual(86_400_000 + 60_000);
    expect(await client.pttl('{tagged}:s:budget:f=chat/u=ann:usd:sliding60000')).toBeGreaterThan(0);
    expect(await client.hgetall('{tagged}:r:call-1')).toMatchObject({ done: expect.any(String) });
    expect(await client.pttl('{tagged}:r:call-1')).toBeGreaterThan(0);
    expect(await client.zcard('{tagged}:exp')).toBe(0);
  });

  it('rejects a prefix that would break the hash tag', () => {
    expect(() => store({ prefix: 'a{b}' })).toThrow(RangeError);
    expect(() => store({ prefix: '' })).toThrow(RangeError);
  });
});

describe('Redis BudgetStore: a reply lost after the script ran', () => {
  let proxy: LossyProxy;
  let lossy: Redis;
  beforeAll(async () => {
    proxy = await startLossyProxy(server.port);
    lossy = new Redis(proxy.port, '127.0.0.1', { retryStrategy: () => 1 });
  });
  afterAll(async () => {
    lossy.disconnect();
    await proxy.close();
  });

  it('the resent reserve, charge and settle are recognised: nothing is charged twice', async () => {
    const prefix = `lossy${prefixes++}`;
    const budgets = store({ client: lossy, prefix });
    const k = line('k', 1_000, 10);
    // Warm the script cache so the lost command is the EVALSHA that ran, not a NOSCRIPT.
    await budgets.reserve({ id: 'warm', lines: [k], minOutputTokens: 0, maxOutputTokens: 0, ttlMs: 60_000 });
    await budgets.charge('warm', 0);
    await budgets.release('warm');

    proxy.loseReplyTo('call-lost-1');
    const r = await budgets.reserve({ id: 'call-lost-1', lines: [k], minOutputTokens: 100, maxOutputTokens: 100, ttlMs: 60_000 });
    expect(r).toMatchObject({ ok: true, outputTokens: 100, remaining: [{ remaining: 890 }] });
    expect(proxy.lost()).toBe(1);

    proxy.loseReplyTo('call-lost-1');
    expect(await budgets.charge('call-lost-1', 30)).toEqual({ ok: true, outputTokens: 30, grantedOutputTokens: 100 });
    expect(proxy.lost()).toBe(2);

    proxy.loseReplyTo('call-lost-1');
    expect(await budgets.settle('call-lost-1', [60])).toBe(true);
    expect(proxy.lost()).toBe(3);

    const check = store({ prefix });
    expect(await check.usage([k])).toMatchObject([{ committed: 60, held: 0, remaining: 940 }]);
    // A settle of its own after that (not a resend) is the usual no-op.
    expect(await check.settle('call-lost-1', [60])).toBe(false);
  });
});
