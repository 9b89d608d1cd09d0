/**
 * @keel/openai's embedder through the real `openai` client against the testkit's loopback
 * server (`POST /v1/embeddings`, vectors from the local embedder), and the semantic layer on top.
 */
import OpenAI from 'openai';
import { createSemanticCache, fixedThreshold, KeelError } from '@keel/core';
import { createOpenAIEmbedder } from '@keel/openai';
import { createTestServer, localEmbedding, type TestServer } from '@keel/testkit';
import { afterEach, describe, expect, it } from 'vitest';

const KEY = 'sk-embed-canary-5b8e21f0c3d94a71';

let server: TestServer | undefined;
afterEach(async () => server?.close());

async function setup(dimensions?: number) {
  server = await createTestServer();
  const client = new OpenAI({ apiKey: KEY, baseURL: `${server.url}/v1`, maxRetries: 0 });
  return { server, embedder: createOpenAIEmbedder({ client, model: 'text-embedding-3-small', dimensions }) };
}

describe('createOpenAIEmbedder over the real openai client', () => {
  it('sends one embeddings request and returns the vectors in order', async () => {
    const { server, embedder } = await setup(256);
    const texts = ['How do I reset my password?', 'Refund order 4411', 'Why is the dashboard slow?'];
    const vectors = await embedder.embed(texts);
    expect(embedder.id).toBe('openai:text-embedding-3-small:256');
    expect(vectors).toHaveLength(3);
    vectors.forEach((vector, i) => {
      expect(vector).toBeInstanceOf(Float32Array);
      // The client asks for base64 and decodes it: the float32 bytes arrive exactly.
      expect(vector).toEqual(localEmbedding(texts[i]!, 256));
    });
    expect(server.hits).toBe(1);
    const request = server.requests[0]!;
    expect(request.path).toBe('/v1/embeddings');
    expect(request.wire).toBe('openai-embeddings');
    expect(request.body).toMatchObject({ model: 'text-embedding-3-small', input: texts, dimensions: 256, encoding_format: 'base64' });
  });

  it('gets the default 1536 dimensions when it names none, and float arrays when asked', async () => {
    const { server, embedder } = await setup();
    const [vector] = await embedder.embed(['hello there']);
    expect(vector).toHaveLength(1536);
    const response = await fetch(`${server.url}/v1/embeddings`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` },
      body: JSON.stringify({ model: 'text-embedding-3-small', input: 'hello there', encoding_format: 'float', dimensions: 8 }),
    });
    const body = (await response.json()) as { object: string; data: { object: string; index: number; embedding: number[] }[]; usage: object };
    expect(body.object).toBe('list');
    expect(body.data[0]).toMatchObject({ object: 'embedding', index: 0 });
    expect(body.data[0]!.embedding).toHaveLength(8);
    expect(body.usage).toEqual({ prompt_tokens: expect.any(Number), total_tokens: expect.any(Number) });
  });

  it('maps a 429 to rate_limited and a 401 to auth, without the key in the message', async () => {
    const { server, embedder } = await setup(64);
    server.script([{ type: 'status', status: 429 }, { type: 'status', status: 401 }]);
    const limited = await embedder.embed(['x']).catch((error: unknown) => error);
    expect(limited).toBeInstanceOf(KeelError);
    expect(limited).toMatchObject({ kind: 'rate_limited', provider: 'openai', model: 'text-embedding-3-small', status: 429 });
    const denied = await embedder.embed(['x']).catch((error: unknown) => error);
    expect(denied).toMatchObject({ kind: 'auth', status: 401 });
    expect(String((denied as Error).message)).not.toContain(KEY);
  });

  it('maps an aborted call to aborted', async () => {
    const { embedder } = await setup(64);
    const controller = new AbortController();
    controller.abort();
    await expect(embedder.embed(['x'], { signal: controller.signal })).rejects.toMatchObject({ kind: 'aborted' });
  });

  it('drives the semantic layer: a paraphrase hits, another tenant does not', async () => {
    const { server, embedder } = await setup(384);
    const cache = createSemanticCache({ embedder, policy: fixedThreshold(0.7) });
    const scope = { tenant: 'acme', feature: 'support' };
    await cache.remember(scope, 'How do I reset my password?', 'key-1');
    expect(await cache.lookup(scope, { prompt: 'I forgot my password, how can I reset it?' })).toMatchObject({ key: 'key-1' });
    expect(await cache.lookup(scope, { prompt: "I can't reset my password" })).toBeUndefined();
    expect(await cache.lookup({ tenant: 'globex', feature: 'support' }, { prompt: 'How do I reset my password?' })).toBeUndefined();
    // remember + two lookups; the empty tenant never embeds.
    expect(server.hits).toBe(3);
  });
});
