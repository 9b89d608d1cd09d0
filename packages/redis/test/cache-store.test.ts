import { once } from 'node:events';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisCacheStore } from '../src/index.js';
import { startRedisServer, type RedisServerHandle } from '../src/testing.js';

let server: RedisServerHandle;
let client: Redis;
beforeAll(async () => {
  server = await startRedisServer();
  client = new Redis(server.port, '127.0.0.1');
});
afterAll(async () => {
  client.disconnect();
  await server.stop();
});

describe('Redis ExactCacheStore', () => {
  it('round-trips JSON values between replicas, under the prefix, with Redis expiring them', async () => {
    const a = createRedisCacheStore({ client, prefix: 'cache' });
    const other = new Redis(server.port, '127.0.0.1');
    const b = createRedisCacheStore({ client: other, prefix: 'cache' });
    const value = { text: 'fox', usage: { inputTokens: 3, outputTokens: 1 }, tags: ['a', null, true, 1.5], nested: [] };
    await a.set('k1', value, { ttlMs: 60_000, bytes: 100 });
    expect(await b.get('k1')).toEqual(value);
    const ttl = await client.pttl('{cache}:c:k1');
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60_000);
    await b.delete('k1');
    expect(await a.get('k1')).toBeUndefined();
    expect(await a.get('never')).toBeUndefined();
    other.disconnect();
  });

  it('an entry past its TTL is gone', async () => {
    const cache = createRedisCacheStore({ client, prefix: 'ttl' });
    await cache.set('short', 'v', { ttlMs: 1, bytes: 1 });
    // Wait on Redis itself, not a duration: poll until it reports the key expired.
    while ((await client.exists('{ttl}:c:short')) === 1) await new Promise((resolve) => setImmediate(resolve));
    expect(await cache.get('short')).toBeUndefined();
    expect(() => cache.set('bad', 1, { ttlMs: 0, bytes: 1 })).toThrow(RangeError);
  });

  it('a Redis that is down is a miss (default) or an error (onError: throw)', async () => {
    const lone = await startRedisServer();
    const down = new Redis(lone.port, '127.0.0.1', { maxRetriesPerRequest: 0, retryStrategy: () => 20, enableOfflineQueue: false });
    down.on('error', () => {});
    await once(down, 'ready');
    await lone.stop();
    if (down.status !== 'reconnecting') await once(down, 'reconnecting');
    expect(await createRedisCacheStore({ client: down }).get('k')).toBeUndefined();
    await expect(createRedisCacheStore({ client: down, onError: 'throw' }).get('k')).rejects.toThrow();
    down.disconnect();
  });
});
