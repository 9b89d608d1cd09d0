/**
 * The semantic layer inside the pipeline, through the real `openai` client against the testkit:
 * a paraphrase is served from the cache within one tenant only, a near miss is not, and a
 * request may only tighten the threshold.
 */
import OpenAI from 'openai';
import { createOpenAIEmbedder, createOpenAIProvider } from '@keel/openai';
import { createLocalEmbedder, createTestServer, type TestServer } from '@keel/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { createKeel, createSemanticCache, errorBoundedThreshold, fixedThreshold, type KeelEvent } from '@keel/core';

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

  describe('learned thresholds (error-bounded) explore on misses: the fresh answer judges the cached one', () => {
    const OPENERS = ['Hi,', 'Hello,', 'Hey team,', 'Quick question:', 'Please help:', 'Good morning,', 'Sorry to bother you,', 'One more thing:', 'Question:', 'Hi there,', 'Hey,', 'Hello team,', 'Morning,', 'Help:', 'Urgent:', 'Small question:', 'Dear support,', 'Team,', 'Folks,', 'Support,'];
    const ENDINGS = ['how do I reset my password?', 'how can I reset my password?', 'how to reset my password?'];
    // 60 distinct paraphrases: a new entry serves nothing until the feedback makes it confident.
    const PROMPTS = ENDINGS.flatMap((ending) => OPENERS.map((opener) => `${opener} ${ending}`));
    async function run(reply: (index: number) => string) {
      server = await createTestServer({ reply: (request) => reply(request.index) });
      const keel = createKeel({
        providers: [createOpenAIProvider({ client: new OpenAI({ apiKey: 'sk-semantic-test', baseURL: `${server.url}/v1` }) })],
        features: { f: { models: [{ provider: 'openai', model: 'gpt-4o-mini' }], maxTokens: 64, temperature: 0, cache: { semantic: { minSimilarity: 0.5 } } } },
        cache: { semantic: { f: createSemanticCache({ embedder: createLocalEmbedder(), policy: errorBoundedThreshold({ delta: 0.1 }) }) } },
      });
      const results = [];
      for (const prompt of PROMPTS) results.push(await keel.chat(ask(prompt)));
      keel.close();
      return results;
    }

    it('when fresh answers agree with the cached ones, it learns to serve paraphrases', async () => {
      const results = await run(() => 'Go to Settings, then Security.');
      expect(results.filter((r) => r.cached).length).toBeGreaterThan(0);
      expect(server!.hits).toBe(PROMPTS.length - results.filter((r) => r.cached).length);
    });

    it('when they disagree, it never serves a paraphrase', async () => {
      const results = await run((index) => `Answer number ${index}`);
      expect(results.filter((r) => r.cached)).toHaveLength(0);
      expect(server!.hits).toBe(PROMPTS.length);
    });
  });

  it('a call embeds its prompt once: a miss (lookup, exploration, store) and a hit alike', async () => {
    server = await createTestServer();
    const client = new OpenAI({ apiKey: 'sk-semantic-test', baseURL: `${server.url}/v1` });
    const keel = createKeel({
      providers: [createOpenAIProvider({ client })],
      features: { f: { models: [{ provider: 'openai', model: 'gpt-4o-mini' }], maxTokens: 64, temperature: 0, cache: { semantic: { minSimilarity: 0.5 } } } },
      // Error-bounded: a miss near a cached prompt also asks the layer for its nearest entry.
      cache: { semantic: createSemanticCache({ embedder: createOpenAIEmbedder({ client, model: 'text-embedding-3-small' }), policy: errorBoundedThreshold({ delta: 0.1 }) }) },
    });
    const embeddings = () => server!.requests.filter((request) => request.path === '/v1/embeddings').length;
    await keel.chat(ask('Hi, how do I reset my password?')); // nothing cached yet: only stored
    expect(embeddings()).toBe(1);
    const miss = await keel.chat(ask('Hello, how do I reset my password?')); // a miss near the first
    expect(miss.cached).toBeUndefined();
    expect(embeddings()).toBe(2);
    const exact = await keel.chat(ask('Hello, how do I reset my password?')); // the exact key: no embedding
    expect(exact.cached).toBe(true);
    expect(embeddings()).toBe(2);
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
