/**
 * @keel/llamacpp against a REAL llama-server (the tiny stories260K model): chat, stream, exact
 * token counts, budgets settled with them, json_schema output, a context overflow, embeddings.
 * One server for the file; small max_tokens. Greedy decoding (temperature 0) keeps the model's
 * output stable, but no test depends on what the text says.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { budgetKey, createInMemoryBudgetStore, createKeel, KeelError, type ChatResult, type Keel } from '@keel/core';
import { createLlamaCppProvider, type LlamaCppProvider, type LlamaServerProcess, type LlamaTimings } from '../src/index.js';
import { realServerSetup, startRealServer } from './real-server.js';

const setup = realServerSetup();
const MODEL = 'stories260K';
const messages = [{ role: 'user' as const, content: 'Once upon a time there was a little cat.' }];
const tokenLine = { key: budgetKey('feature', 'tokens', 'day', { feature: 'story' })!, unit: 'tokens' as const, limit: 100_000, window: 'day' as const };

describe.runIf(setup.run)('llama-server (real): chat, stream, counts, schema, embeddings', () => {
  let server: LlamaServerProcess | undefined;
  let provider: LlamaCppProvider;
  let keel: Keel;
  const store = createInMemoryBudgetStore();
  const timings: LlamaTimings[] = [];

  beforeAll(async () => {
    server = await startRealServer(setup, { parallel: 2, ctxSize: 1024, embeddings: true, extraArgs: ['--pooling', 'mean'] });
    provider = createLlamaCppProvider({ baseURL: server.url, onTimings: (t) => timings.push(t) });
    keel = createKeel({
      providers: [provider],
      features: {
        story: {
          models: [{ provider: 'llamacpp', model: MODEL }],
          maxTokens: 12,
          temperature: 0,
          budget: { limits: [{ scope: 'feature', unit: 'tokens', limit: tokenLine.limit, window: 'day' }] },
        },
      },
      budgetStore: store,
    });
  }, 120_000);
  afterAll(async () => {
    keel?.close();
    await server?.stop();
  });

  it('chat: the text, the server-billed usage (exactly the counted prompt) and its timings', async () => {
    const counted = await provider.countTokens({ model: MODEL, messages });
    const before = timings.length;
    const result = await keel.chat({ feature: 'story', messages });

    expect(result.text.length).toBeGreaterThan(0);
    expect(result.usageEstimated).toBeUndefined();
    expect(result.usage.inputTokens).toBe(counted);
    expect(result.usage.outputTokens).toBeGreaterThan(0);
    expect(result.usage.outputTokens).toBeLessThanOrEqual(12);
    const [reported] = timings.slice(before);
    expect(reported).toBeDefined();
    expect(reported!.predictedN).toBe(result.usage.outputTokens);
    expect(reported!.promptN + reported!.cacheN).toBe(counted);
    expect(reported!.predictedPerSecond).toBeGreaterThan(0);
  });

  it('the budget settles with the exact counts the server reported', async () => {
    const [before] = await store.usage([tokenLine]);
    const result = await keel.chat({ feature: 'story', messages });
    const [after] = await store.usage([tokenLine]);
    expect(after!.committed - before!.committed).toBe(result.usage.inputTokens + result.usage.outputTokens);
  });

  it('stream: deltas add up to the text, with a finish, usage and timings from the last chunk', async () => {
    const before = timings.length;
    const stream = keel.stream({ feature: 'story', messages });
    let deltas = '';
    let result: ChatResult | undefined;
    for await (const event of stream) {
      if (event.type === 'text') deltas += event.text;
      if (event.type === 'finish') result = event.result;
    }
    if (!result) throw new Error('the stream ended without a finish event');
    expect(deltas).toBe(result.text);
    expect(deltas.length).toBeGreaterThan(0);
    expect(['stop', 'length']).toContain(result.finishReason);
    expect(result.usage.outputTokens).toBeGreaterThan(0);
    expect(timings.slice(before)).toHaveLength(1);
    expect(timings[before]!.predictedN).toBe(result.usage.outputTokens);
  });

  it('/tokenize gives the model its own ids, and the prompt count is template + text', async () => {
    const ids = await provider.routes.tokenize('Once upon a time');
    expect(ids.length).toBeGreaterThan(0);
    expect(ids.every((id) => Number.isInteger(id) && id >= 0 && id < 512)).toBe(true);
    const short = await provider.countTokens({ model: MODEL, messages: [{ role: 'user', content: 'Once upon a time' }] });
    const longer = await provider.countTokens({ model: MODEL, messages: [{ role: 'user', content: 'Once upon a time Once upon a time' }] });
    // The same text appended adds at least its own tokens (tokenisation at the seam may merge one).
    expect(longer - short).toBeGreaterThanOrEqual(ids.length - 1);
  });

  it('json_schema: the server enforces the schema and the reply parses to it', async () => {
    expect(provider.supportsOutputSchema?.(MODEL, { type: 'object' })).toBe(true);
    const schema = {
      type: 'object',
      properties: { mood: { enum: ['happy', 'sad'] }, sleepy: { type: 'boolean' } },
      required: ['mood', 'sleepy'],
      additionalProperties: false,
    };
    const reply = await provider.chat(
      { model: MODEL, messages, maxTokens: 256, temperature: 0, outputSchema: { name: 'cat', schema, strict: true } },
      { signal: new AbortController().signal, deadline: Date.now() + 30_000, attempt: 1 },
    );
    expect(() => JSON.parse(reply.text), reply.text).not.toThrow();
    const parsed = JSON.parse(reply.text) as { mood: unknown; sleepy: unknown };
    expect(['happy', 'sad']).toContain(parsed.mood);
    expect(typeof parsed.sleepy).toBe('boolean');
    expect(Object.keys(parsed).sort()).toEqual(['mood', 'sleepy']);
  });

  it('a prompt larger than the slot context is context_length, tried once', async () => {
    const props = await provider.routes.props();
    expect(props.totalSlots).toBe(2);
    expect(props.slotContext).toBe(512);
    const huge = [{ role: 'user' as const, content: 'the cat sat on the mat. '.repeat(200) }];
    expect(await provider.countTokens({ model: MODEL, messages: huge })).toBeGreaterThan(props.slotContext);
    const error = await keel.chat({ feature: 'story', messages: huge }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(KeelError.is(error)).toBe(true);
    expect(error).toMatchObject({ kind: 'context_length', status: 400, retryable: false });
    expect((error as KeelError).attempts).toHaveLength(1);
    expect((error as KeelError).message).toMatch(/^llama-server 400/);
  });

  it('embeddings: one vector of n_embd per text, in order; the same text lands on the same vector', async () => {
    const embedder = provider.embedder();
    const [a, b, again] = await embedder.embed(['a little cat', 'a big dog', 'a little cat']);
    expect(a).toBeInstanceOf(Float32Array);
    expect(a!.length).toBe(64);
    expect(b!.length).toBe(64);
    expect([...a!].every(Number.isFinite)).toBe(true);
    // Batched texts are pooled in different sequences, so a repeat agrees to float noise, not bits.
    expect(cosine(a!, again!)).toBeGreaterThan(0.9999);
    expect(cosine(a!, b!)).toBeLessThan(cosine(a!, again!));
    expect(embedder.id).toBe('llamacpp:default');
  });
});

function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return dot / Math.sqrt(na * nb);
}
