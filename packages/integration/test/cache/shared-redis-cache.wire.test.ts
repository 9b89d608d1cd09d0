/**
 * Two replicas (two Keel instances) sharing one real `redis-server` as their exact-cache store:
 * one replica's answer is the other's hit, still per tenant, through the real `openai` client.
 */
import OpenAI from 'openai';
import { Redis } from 'ioredis';
import { createOpenAIProvider } from '@keel/openai';
import { createRedisCacheStore } from '@keel/redis';
import { startRedisServer, type RedisServerHandle } from '@keel/redis/testing';
import { createTestServer, type TestServer } from '@keel/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKeel } from '@keel/core';

let redis: RedisServerHandle;
let server: TestServer;
const clients: Redis[] = [];
beforeAll(async () => {
  redis = await startRedisServer();
  server = await createTestServer();
});
afterAll(async () => {
  for (const client of clients) client.disconnect();
  await server.close();
  await redis.stop();
});

function replica() {
  const client = new Redis(redis.port, '127.0.0.1');
  clients.push(client);
  return createKeel({
    providers: [createOpenAIProvider({ client: new OpenAI({ apiKey: 'sk-redis-cache', baseURL: `${server.url}/v1` }) })],
    features: { f: { models: [{ provider: 'openai', model: 'gpt-4o-mini' }], maxTokens: 64, temperature: 0, cache: { ttlMs: 60_000 } } },
    cache: { store: createRedisCacheStore({ client, prefix: 'shared-cache' }) },
  });
}

describe('a Redis exact cache shared by replicas', () => {
  it("serves one replica's answer to the other, within the tenant only", async () => {
    const [a, b] = [replica(), replica()];
    const ask = (tenant: string) => ({ feature: 'f', tenant, messages: [{ role: 'user' as const, content: 'Where are invoices?' }] });
    const first = await a.chat(ask('acme'));
    const second = await b.chat(ask('acme'));
    expect(first.cached).toBeUndefined();
    expect(second).toMatchObject({ cached: true, text: first.text });
    expect((await b.chat(ask('globex'))).cached).toBeUndefined();
    expect(server.hits).toBe(2);
    a.close();
    b.close();
  });
});
