import OpenAI from 'openai';
import type { ChatCompletionChunk, ChatCompletionCreateParamsStreaming } from 'openai/resources/chat/completions';
import { budgetKey, createInMemoryBudgetStore, type InMemoryBudgetStore, type KeelEvent } from '@keel/core';
import { createFakeClock, createTestServer, type RecordedRequest, type TestServer } from '@keel/testkit';
import { describe, expect, it, vi } from 'vitest';
import { wrapOpenAI, type WrapOpenAIOptions } from '../src/index.js';
import { CANARY_KEY, failure } from './support.js';

/**
 * Issue #17 over the wire: what a provider honouring `n` and `max_tokens` may serve is read from
 * the server's request log, never from Keel's own numbers.
 */
const LIMIT = 2_000;
const KEY = budgetKey('feature', 'tokens', 'day', { feature: 'support' })!;

function wrapped(server: TestServer, budget: NonNullable<WrapOpenAIOptions['features']>[string]['budget'], extra: Partial<WrapOpenAIOptions> = {}) {
  const store = createInMemoryBudgetStore({ clock: extra.keel?.clock });
  const events: KeelEvent[] = [];
  const openai = wrapOpenAI(new OpenAI({ apiKey: CANARY_KEY, baseURL: `${server.url}/v1` }), {
    feature: 'support',
    features: { support: { maxTokens: 100, budget } },
    ...extra,
    keel: { budgetStore: store, onEvent: (event) => events.push(event), ...extra.keel },
  });
  return { openai, store, events };
}

async function committed(store: InMemoryBudgetStore, limit = LIMIT) {
  const [line] = await store.usage([{ key: KEY, unit: 'tokens', limit, window: 'day' }]);
  return line!;
}

/** The testkit's own input count (a quarter of the text characters) plus the images by OpenAI's low-detail rule. */
function servedInput(request: RecordedRequest): number {
  const messages = (request.body as { messages: { content: unknown }[] }).messages;
  let chars = 0;
  let images = 0;
  for (const { content } of messages) {
    if (typeof content === 'string') chars += content.length;
    else if (Array.isArray(content)) {
      for (const part of content as { type: string; text?: string }[]) {
        if (part.type === 'text') chars += part.text!.length;
        if (part.type === 'image_url') images++;
      }
    }
  }
  return Math.ceil(chars / 4) + images * 85;
}

/** The most a provider that honours the request may serve for it: its input plus `n` answers of the cap sent. */
function servable(request: RecordedRequest): number {
  const body = request.body as { n?: number; max_tokens?: number; max_completion_tokens?: number };
  const cap = Math.min(body.max_completion_tokens ?? Infinity, body.max_tokens ?? Infinity);
  expect(cap).toBeLessThan(Infinity); // every budgeted call is capped on the wire
  return servedInput(request) + (body.n ?? 1) * cap;
}

const settledAll = (results: PromiseSettledResult<unknown>[]) => {
  for (const result of results) {
    if (result.status === 'rejected') expect(result.reason).toMatchObject({ kind: 'budget_exceeded' });
  }
  return results.filter((result) => result.status === 'fulfilled').length;
};

const IMAGE = { type: 'image_url' as const, image_url: { url: 'data:image/png;base64,iVBORw0KGgo=', detail: 'low' as const } };

describe('wrapOpenAI: the budget holds on every drop-in path (issue #17)', () => {
  it("Keel's granted cap wins over the caller's max_tokens / max_completion_tokens", async () => {
    await using server = await createTestServer();
    const { openai, store } = wrapped(server, { limits: [{ scope: 'feature', unit: 'tokens', limit: LIMIT, window: 'day' }], onExceeded: { clamp: { minOutputTokens: 10 } } });
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) =>
        openai.chat.completions.create({
          model: 'gpt-4o-mini',
          messages: [{ role: 'user', content: 'Write at length.' }],
          ...(i % 2 === 0 ? { max_tokens: 1_000 } : { max_completion_tokens: 1_000 }),
        }),
      ),
    );
    expect(settledAll(results)).toBeGreaterThan(0);
    const servedAtMost = server.requests.reduce((sum, request) => sum + servable(request), 0);
    expect(servedAtMost).toBeLessThanOrEqual(LIMIT);
    // The caller's own field is kept, lowered to the grant.
    for (const request of server.requests) {
      const body = request.body as Record<string, unknown>;
      expect('max_tokens' in body && 'max_completion_tokens' in body).toBe(false);
    }
    expect((await committed(store)).committed).toBeLessThanOrEqual(LIMIT);
    openai.keel.close();
  });

  it('n: 4 reserves four answers: 20 concurrent calls never exceed a 2,000-token limit', async () => {
    await using server = await createTestServer();
    const { openai, store } = wrapped(server, { limits: [{ scope: 'feature', unit: 'tokens', limit: LIMIT, window: 'day' }] });
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, () =>
        openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Four ideas.' }], n: 4, max_completion_tokens: 100 }),
      ),
    );
    expect(settledAll(results)).toBeGreaterThan(0);
    expect(server.requests.reduce((sum, request) => sum + servable(request), 0)).toBeLessThanOrEqual(LIMIT);
    expect((await committed(store)).committed).toBeLessThanOrEqual(LIMIT);
    openai.keel.close();
  });

  it('two images per call are counted: 20 concurrent calls never exceed a 2,000-token limit', async () => {
    await using server = await createTestServer();
    const { openai } = wrapped(server, { limits: [{ scope: 'feature', unit: 'tokens', limit: LIMIT, window: 'day' }] });
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, () =>
        openai.chat.completions.create({
          model: 'gpt-4o',
          messages: [{ role: 'user', content: [{ type: 'text', text: 'Compare these.' }, IMAGE, IMAGE] }],
          max_completion_tokens: 50,
        }),
      ),
    );
    expect(settledAll(results)).toBeGreaterThan(0);
    expect(server.requests.reduce((sum, request) => sum + servable(request), 0)).toBeLessThanOrEqual(LIMIT);
    openai.keel.close();
  });

  it('tool definitions are counted as input', async () => {
    await using server = await createTestServer();
    const { openai } = wrapped(server, { limits: [{ scope: 'feature', unit: 'tokens', limit: 400, window: 'day' }] });
    const description = 'x'.repeat(400);
    const error = await failure(
      openai.chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'Hi.' }],
        tools: [{ type: 'function', function: { name: 'lookup', description, parameters: { type: 'object' } } }],
        max_completion_tokens: 10,
      }),
    );
    expect(error).toMatchObject({ kind: 'budget_exceeded' });
    expect(server.hits).toBe(0);
    openai.keel.close();
  });

  it('a stream left after its first chunk pays its input and what it delivered', async () => {
    await using server = await createTestServer();
    const { openai, store } = wrapped(server, { limits: [{ scope: 'feature', unit: 'tokens', limit: LIMIT, window: 'day' }] });
    const stream = await openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Say something.' }], stream: true });
    let delivered = '';
    for await (const chunk of stream) {
      delivered += chunk.choices[0]?.delta.content ?? '';
      if (delivered.length > 0) break;
    }
    expect(delivered).toBe('The ');
    const line = await committed(store);
    expect(line.held).toBe(0);
    // At least the input the provider counted plus one token for the delta delivered.
    expect(line.committed).toBeGreaterThanOrEqual(servedInput(server.requests[0]!) + 1);
    openai.keel.close();
  });

  it('a stream whose output fits its grant is never cut, however many small deltas it has', async () => {
    const text = 'abcd '.repeat(40);
    await using server = await createTestServer({ script: [{ type: 'ok', text }] });
    // Exactly the input bound (8 + 4 + 'user' + 'Go.' = 19) plus the 40 tokens asked for: no room to grow.
    const { openai } = wrapped(server, { limits: [{ scope: 'feature', unit: 'tokens', limit: 19 + 40, window: 'day' }] });
    const stream = await openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Go.' }], max_tokens: 40, stream: true });
    const chunks: ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('')).toBe(text);
    expect(chunks.at(-1)?.choices[0]?.finish_reason).toBe('stop');
    openai.keel.close();
  });

  it('a stream the budget cuts throws budget_exceeded after the text it delivered', async () => {
    // A provider that ignores max_tokens: the reply is far longer than the 5 tokens granted.
    await using server = await createTestServer({ script: [{ type: 'ok', text: 'abcd '.repeat(40) }] });
    const { openai, store } = wrapped(server, { limits: [{ scope: 'feature', unit: 'tokens', limit: 19 + 5, window: 'day' }] });
    const stream = await openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Go.' }], max_tokens: 5, stream: true });
    let delivered = '';
    const error = await failure(async () => {
      for await (const chunk of stream) delivered += chunk.choices[0]?.delta.content ?? '';
    });
    expect(error).toMatchObject({ kind: 'budget_exceeded', partialText: delivered });
    expect(delivered.length).toBeGreaterThan(0);
    expect(delivered.length).toBeLessThan(200);
    expect((await committed(store, 24)).held).toBe(0);
    openai.keel.close();
  });

  it('a stream never read gives its hold back after firstTokenMs and emits call.finished', async () => {
    await using server = await createTestServer();
    const clock = createFakeClock();
    const { openai, store, events } = wrapped(
      server,
      { limits: [{ scope: 'feature', unit: 'tokens', limit: LIMIT, window: 'day' }] },
      { defaults: { timeouts: { firstTokenMs: 1_000, idleMs: 30_000 } }, keel: { clock } },
    );
    const body: ChatCompletionCreateParamsStreaming = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Say something.' }], stream: true };
    const stream = await openai.chat.completions.create(body);
    expect((await committed(store)).held).toBeGreaterThan(0);
    clock.advance(1_000);
    await vi.waitFor(() => expect(events.some((event) => event.type === 'call.finished')).toBe(true));
    expect(events.find((event) => event.type === 'call.finished')).toMatchObject({ outcome: 'timeout' });
    const line = await committed(store);
    expect(line.held).toBe(0);
    expect(line.committed).toBeGreaterThanOrEqual(servedInput(server.requests[0]!));
    await vi.waitFor(() => expect(server.requests[0]!.closed).toBe(true)); // the upstream request was stopped
    // Reading it now says why it ended.
    await expect(failure(async () => {
      for await (const _chunk of stream) void _chunk;
    })).resolves.toMatchObject({ kind: 'timeout' });
    openai.keel.close();
  });
});
