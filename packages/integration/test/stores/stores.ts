import { createInMemoryBudgetStore, createInMemoryRateLimitStore, type BudgetStore, type RateLimitStore } from '@keel/core';
import { createRedisBudgetStore, createRedisRateLimitStore } from '@keel/redis';
import { startRedisServer, type RedisServerHandle } from '@keel/redis/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';

export interface StoreKind {
  readonly name: string;
  budget(): BudgetStore;
  rateLimit(): RateLimitStore;
}

let prefixes = 0;

/**
 * The two implementations every conformance test runs against: the in-memory reference and the
 * Redis stores over a real redis-server (started once per file on a free port, each store under
 * its own prefix so tests never see each other's keys). The Redis stores take the caller's `now`
 * here (`timeSource: 'caller'`) so both run the same timeline.
 */
export function storeKinds(): readonly StoreKind[] {
  let server: RedisServerHandle | undefined;
  let client: Redis | undefined;
  beforeAll(async () => {
    server = await startRedisServer();
    client = new Redis(server.port, '127.0.0.1', { lazyConnect: false });
  });
  afterAll(async () => {
    client?.disconnect();
    await server?.stop();
  });
  const redis = () => {
    if (!client) throw new Error('redis-server not started');
    return client;
  };
  return [
    { name: 'in-memory', budget: () => createInMemoryBudgetStore(), rateLimit: () => createInMemoryRateLimitStore() },
    {
      name: 'redis',
      budget: () => createRedisBudgetStore({ client: redis(), prefix: `conf${prefixes++}`, timeSource: 'caller', outageTimeoutMs: 60_000 }),
      rateLimit: () => createRedisRateLimitStore({ client: redis(), prefix: `conf${prefixes++}`, timeSource: 'caller', outageTimeoutMs: 60_000 }),
    },
  ];
}
