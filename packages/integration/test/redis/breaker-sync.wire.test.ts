/**
 * Breaker state shared across replicas: two Keels (two replicas, each with its own Redis
 * connections) over the real openai SDK against the testkit server. When replica A's breaker
 * opens on a failing provider, replica B's opens too and B sends nothing more to it.
 */
import { createKeel, KeelError, type Keel } from '@keel/core';
import { createOpenAIProvider } from '@keel/openai';
import { createRedisBreakerSync, type RedisBreakerSync } from '@keel/redis';
import { startRedisServer, type RedisServerHandle } from '@keel/redis/testing';
import { createTestServer, type TestServer } from '@keel/testkit';
import { Redis } from 'ioredis';
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';

let redis: RedisServerHandle | undefined;
let provider: TestServer | undefined;
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await provider?.close();
  await redis?.stop();
});

function replica(url: string): Keel {
  const keel = createKeel({
    providers: [createOpenAIProvider({ client: new OpenAI({ apiKey: 'sk-test', baseURL: `${url}/v1` }) })],
    features: { chat: { models: [{ provider: 'openai', model: 'gpt-4o-mini' }], retry: { maxAttempts: 1 } } },
    defaults: { breaker: { consecutiveFailures: 2, halfOpenAfterMs: 600_000 } },
  });
  cleanups.push(() => keel.close());
  return keel;
}

async function sync(keel: Keel): Promise<{ shared: RedisBreakerSync; client: Redis }> {
  const client = new Redis(redis!.port, '127.0.0.1');
  const shared = createRedisBreakerSync({ keel, client, prefix: 'svc' });
  cleanups.push(async () => {
    await shared.close();
    client.disconnect();
  });
  await shared.ready;
  return { shared, client };
}

const ask = (keel: Keel) => keel.chat({ feature: 'chat', messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);

describe('@keel/redis createRedisBreakerSync', () => {
  it("one replica's open breaker opens every replica's: B sends nothing to the failing provider", async () => {
    redis = await startRedisServer();
    provider = await createTestServer({ script: () => ({ type: 'status', status: 500 }) });
    const [a, b] = [replica(provider.url), replica(provider.url)];
    await sync(a);
    const { client: bClient } = await sync(b);
    const listener = new Redis(redis.port, '127.0.0.1');
    cleanups.push(() => listener.disconnect());
    const heard: string[] = [];
    listener.on('message', (_channel: string, message: string) => heard.push(message));
    await listener.subscribe('{svc}:breaker');
    const bOpened = new Promise<void>((resolve) => b.on((event) => event.type === 'breaker.opened' && resolve()));

    expect(await ask(a)).toMatchObject({ kind: 'server' });
    expect(await ask(a)).toMatchObject({ kind: 'server' });
    expect(a.breaker('openai', 'gpt-4o-mini').state).toBe('open');
    // Delivered over Redis pub/sub: wait for B's own event, not a duration.
    await bOpened;
    expect(b.breaker('openai', 'gpt-4o-mini').state).toBe('open');
    // B applied A's open without publishing it back: one connection's commands run in order,
    // so after these two PINGs any echo from B would have reached the listener.
    await bClient.ping();
    await listener.ping();
    expect(heard.map((m) => JSON.parse(m))).toEqual([{ origin: expect.any(String), provider: 'openai', model: 'gpt-4o-mini' }]);

    const hits = provider.hits;
    const error = await ask(b);
    expect(KeelError.is(error) && error.kind).toBe('circuit_open');
    expect(provider.hits).toBe(hits);
  });

  it('tripBreaker opens a breaker once (an open one is left alone) and nothing is sent while open', async () => {
    redis = await startRedisServer();
    provider = await createTestServer();
    const a = replica(provider.url);
    const events: string[] = [];
    a.on((event) => event.type.startsWith('breaker.') && events.push(event.type));
    a.tripBreaker('openai', 'gpt-4o-mini');
    a.tripBreaker('openai', 'gpt-4o-mini');
    expect(events).toEqual(['breaker.opened']);
    expect(await ask(a)).toMatchObject({ kind: 'circuit_open' });
    expect(provider.hits).toBe(0);
  });
});
