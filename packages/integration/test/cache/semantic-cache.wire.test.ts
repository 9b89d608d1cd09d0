/**
 * The semantic layer inside the pipeline, through the real `openai` client against the testkit:
 * a paraphrase is served from the cache within one tenant only, a near miss is not, and a
 * request may only tighten the threshold.
 */
import OpenAI from 'openai';
import { createOpenAIProvider } from '@keel/openai';
import { createLocalEmbedder, createTestServer, type TestServer } from '@keel/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { createKeel, createSemanticCache, fixedThreshold, type KeelEvent } from '@keel/core';

let server: TestServer | undefined;
afterEach(async () => server?.close());

async function setup() {
  server = await createTestServer();
  const events: KeelEvent[] = [];
  const keel = createKeel({
    providers: [createOpenAIProvider({ client: new OpenAI({ apiKey: 'sk-semantic-test', baseURL: `${server.url}/v1` }) })],
    features: { f: { models: [{ provider: 'openai', model: 'gpt-4o-mini' }], maxTokens: 64, temperature: 0, cache: { semantic: { minSimilarity: 0.7 } } } },
    cache: { semantic: createSemanticCache({ embedder: createLocalEmbedder(), policy: fixedThreshold(0.7) }) },
    onEvent: (event) => events.push(event),
  });
  return { server, keel, events };
}

const ask = (content: string, tenant = 'acme', extra: Record<string, unknown> = {}) => ({ feature: 'f', tenant, messages: [{ role: 'user' as const, content }], ...extra });

describe('semantic cache in the pipeline', () => {
  it('serves a paraphrase in the same tenant, with its similarity; never across tenants', async () => {
    const { server, keel, events } = await setup();
    server.script([{ type: 'ok', text: 'Go to Settings, then Security.' }]);
    await keel.chat(ask('How do I reset my password?'));
    const paraphrase = await keel.chat(ask('how can I reset my password'));
    expect(server.hits).toBe(1);
    expect(paraphrase).toMatchObject({ cached: true, text: 'Go to Settings, then Security.' });
    expect(paraphrase.similarity).toBeGreaterThanOrEqual(0.7);
    expect(events.find((e) => e.type === 'cache.hit')).toMatchObject({ match: 'semantic' });
    await keel.chat(ask('how can I reset my password', 'globex'));
    await keel.chat(ask('How do I reset my password?', 'globex2'));
    expect(server.hits).toBe(3);
    keel.close();
  });

  it('a near miss (negation, another number) is not a hit, and a request can only tighten the threshold', async () => {
    const { server, keel } = await setup();
    await keel.chat(ask('Can I cancel order 1234 today?'));
    await keel.chat(ask('Can I cancel order 5678 today?'));
    await keel.chat(ask('Can I not cancel order 1234 today?'));
    expect(server.hits).toBe(3);
    const tightened = await keel.chat(ask('Is it possible to cancel order 1234 today?', 'acme', { cache: { minSimilarity: 0.999 } }));
    expect(tightened.similarity).toBeUndefined();
    expect(tightened.cached).toBeUndefined();
    expect(server.hits).toBe(4);
    // The same paraphrase at the feature's threshold is a hit.
    expect((await keel.chat(ask('Is it possible to cancel my order 1234 today?'))).cached).toBe(true);
    expect(server.hits).toBe(4);
    // A lower threshold than the feature's is ignored, not obeyed.
    await keel.chat(ask('Which colour is the sky?', 'acme', { cache: { minSimilarity: 0 } }));
    expect(server.hits).toBe(5);
    keel.close();
  });

  it('a feature asking for semantic matching without a layer is a configuration error', () => {
    expect(() =>
      createKeel({
        providers: [createOpenAIProvider({ client: new OpenAI({ apiKey: 'sk-x', baseURL: 'http://127.0.0.1:1/v1' }) })],
        features: { f: { models: [{ provider: 'openai', model: 'gpt-4o-mini' }], cache: { semantic: { minSimilarity: 0.9 } } } },
      }),
    ).toThrow(/features\.f\.cache\.semantic: needs a semantic layer/);
  });
});
