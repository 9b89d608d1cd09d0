/**
 * The outage policy seen from a caller: createKeel + the real openai SDK against the testkit
 * server, with the shared budget's redis-server killed. Fail-closed refuses before anything is
 * sent (the server's request log stays empty); fail-open answers and counts in memory.
 */
import { once } from 'node:events';
import { createKeel, KeelError } from '@keel/core';
import { createOpenAIProvider } from '@keel/openai';
import { createRedisBudgetStore, type OutagePolicy } from '@keel/redis';
import { startRedisServer, type RedisServerHandle } from '@keel/redis/testing';
import { createTestServer, type TestServer } from '@keel/testkit';
import { Redis } from 'ioredis';
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';

let redis: RedisServerHandle | undefined;
let provider: TestServer | undefined;
let client: Redis | undefined;
afterEach(async () => {
  client?.disconnect();
  await provider?.close();
  await redis?.stop();
});

async function keelWithDeadRedis(onOutage: OutagePolicy) {
  redis = await startRedisServer();
  provider = await createTestServer();
  client = new Redis(redis.port, '127.0.0.1', { maxRetriesPerRequest: null, retryStrategy: () => 20 });
  client.on('error', () => {});
  await once(client, 'ready');
  const keel = createKeel({
    providers: [createOpenAIProvider({ client: new OpenAI({ apiKey: 'sk-test', baseURL: `${provider.url}/v1` }) })],
    features: { chat: { models: [{ provider: 'openai', model: 'gpt-4o-mini' }], maxTokens: 20, retry: { maxAttempts: 1 }, budget: { limits: [{ scope: 'feature', unit: 'tokens', limit: 10_000, window: 'day' }] } } },
    budgetStore: createRedisBudgetStore({ client, prefix: 'wire', onOutage, outageTimeoutMs: 60_000 }),
  });
  await redis.kill();
  if (client.status !== 'reconnecting') await once(client, 'reconnecting');
  return keel;
}

describe('@keel/redis outage policy through createKeel (real openai SDK)', () => {
  it("fail-closed: the call fails as a non-retryable 'server' KeelError and nothing reaches the provider", async () => {
    const keel = await keelWithDeadRedis('fail-closed');
    const error: unknown = await keel.chat({ feature: 'chat', messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);
    expect(KeelError.is(error) && { kind: error.kind, retryable: error.retryable }).toEqual({ kind: 'server', retryable: false });
    expect(provider!.hits).toBe(0);
  });

  it('fail-open: the call is answered, counted in memory', async () => {
    const keel = await keelWithDeadRedis('fail-open');
    const result = await keel.chat({ feature: 'chat', messages: [{ role: 'user', content: 'hi' }] });
    expect(result.text.length).toBeGreaterThan(0);
    expect(provider!.hits).toBe(1);
  });
});
