import Anthropic from '@anthropic-ai/sdk';
import type { ImageBlockParam, RawMessageStreamEvent } from '@anthropic-ai/sdk/resources/messages';
import { budgetKey, createInMemoryBudgetStore, type InMemoryBudgetStore, type KeelEvent } from '@keel/core';
import { createFakeClock, createTestServer, type RecordedRequest, type TestServer } from '@keel/testkit';
import { describe, expect, it, vi } from 'vitest';
import { wrapAnthropic, type WrapAnthropicOptions } from '../src/index.js';
import { CANARY_KEY, failure } from './support.js';

/** Issue #17 over the wire: what the provider may serve is read from the server's request log. */
const LIMIT = 2_000;
const KEY = budgetKey('feature', 'tokens', 'day', { feature: 'support' })!;
/** Anthropic's published image rule, ~(width × height) / 750, for the 1000 × 1000 image the test declares it sends. */
const SERVED_PER_IMAGE = Math.ceil((1_000 * 1_000) / 750);

function wrapped(server: TestServer, limit: number, extra: Partial<WrapAnthropicOptions> = {}) {
  const store = createInMemoryBudgetStore({ clock: extra.keel?.clock });
  const events: KeelEvent[] = [];
  const anthropic = wrapAnthropic(new Anthropic({ apiKey: CANARY_KEY, baseURL: server.url }), {
    feature: 'support',
    features: { support: { maxTokens: 100, budget: { limits: [{ scope: 'feature', unit: 'tokens', limit, window: 'day' }], onExceeded: { clamp: { minOutputTokens: 10 } } } } },
    ...extra,
    keel: { budgetStore: store, onEvent: (event) => events.push(event), ...extra.keel },
  });
  return { anthropic, store, events };
}

async function usageOf(store: InMemoryBudgetStore, limit = LIMIT) {
  const [line] = await store.usage([{ key: KEY, unit: 'tokens', limit, window: 'day' }]);
  return line!;
}

/** The testkit's input count (a quarter of the text characters) plus the images by Anthropic's rule. */
function servedInput(request: RecordedRequest): number {
  const { messages } = request.body as { messages: { content: unknown }[] };
  let chars = 0;
  let images = 0;
  for (const { content } of messages) {
    if (typeof content === 'string') chars += content.length;
    else for (const block of content as { type: string; text?: string }[]) {
      if (block.type === 'text') chars += block.text!.length;
      if (block.type === 'image') images++;
    }
  }
  return Math.ceil(chars / 4) + images * SERVED_PER_IMAGE;
}

const servable = (request: RecordedRequest) => servedInput(request) + (request.body as { max_tokens: number }).max_tokens;

const text = (event: RawMessageStreamEvent) => (event.type === 'content_block_delta' && event.delta.type === 'text_delta' ? event.delta.text : '');

const IMAGE: ImageBlockParam = { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } };

describe('wrapAnthropic: the budget holds on every drop-in path (issue #17)', () => {
  it("Keel's granted cap wins over the caller's max_tokens", async () => {
    await using server = await createTestServer();
    const { anthropic, store } = wrapped(server, LIMIT);
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, () =>
        anthropic.messages.create({ model: 'claude-sonnet-4-6', max_tokens: 1_000, messages: [{ role: 'user', content: 'Write at length.' }] }),
      ),
    );
    expect(results.some((result) => result.status === 'fulfilled')).toBe(true);
    expect(server.requests.reduce((sum, request) => sum + servable(request), 0)).toBeLessThanOrEqual(LIMIT);
    expect((await usageOf(store)).committed).toBeLessThanOrEqual(LIMIT);
    anthropic.keel.close();
  });

  it('two images per call are counted: 20 concurrent calls never exceed a 2,000-token limit', async () => {
    await using server = await createTestServer();
    const { anthropic } = wrapped(server, LIMIT);
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, () =>
        anthropic.messages.create({
          model: 'claude-sonnet-4-6',
          max_tokens: 50,
          messages: [{ role: 'user', content: [{ type: 'text', text: 'Compare these.' }, IMAGE, IMAGE] }],
        }),
      ),
    );
    for (const result of results) if (result.status === 'rejected') expect(result.reason).toMatchObject({ kind: 'budget_exceeded' });
    expect(server.requests.reduce((sum, request) => sum + servable(request), 0)).toBeLessThanOrEqual(LIMIT);
    anthropic.keel.close();
  });

  it('a stream left after its first delta pays its input and what it delivered', async () => {
    await using server = await createTestServer();
    const { anthropic, store } = wrapped(server, LIMIT);
    const stream = await anthropic.messages.create({ model: 'claude-sonnet-4-6', max_tokens: 100, messages: [{ role: 'user', content: 'Say something.' }], stream: true });
    let delivered = '';
    for await (const event of stream) {
      delivered += text(event);
      if (delivered.length > 0) break;
    }
    expect(delivered).toBe('The ');
    const line = await usageOf(store);
    expect(line.held).toBe(0);
    expect(line.committed).toBeGreaterThanOrEqual(servedInput(server.requests[0]!) + 1);
    anthropic.keel.close();
  });

  it('a stream whose output fits its grant is never cut, however many small deltas it has', async () => {
    const reply = 'abcd '.repeat(40);
    await using server = await createTestServer({ script: [{ type: 'ok', text: reply }] });
    // The input bound (8 + 4 + 'user' + 'Go.' = 19) plus the 40 tokens asked for: no room to grow.
    const { anthropic } = wrapped(server, 19 + 40);
    const stream = await anthropic.messages.create({ model: 'claude-sonnet-4-6', max_tokens: 40, messages: [{ role: 'user', content: 'Go.' }], stream: true });
    const events: RawMessageStreamEvent[] = [];
    for await (const event of stream) events.push(event);
    expect(events.map(text).join('')).toBe(reply);
    expect(events.some((event) => event.type === 'message_delta' && event.delta.stop_reason === 'end_turn')).toBe(true);
    anthropic.keel.close();
  });

  it('a stream the budget cuts throws budget_exceeded after the text it delivered', async () => {
    // A provider that ignores max_tokens: the reply is far longer than the 5 tokens granted.
    await using server = await createTestServer({ script: [{ type: 'ok', text: 'abcd '.repeat(40) }] });
    const { anthropic, store } = wrapped(server, 19 + 5, { features: { support: { maxTokens: 5, budget: { limits: [{ scope: 'feature', unit: 'tokens', limit: 24, window: 'day' }] } } } });
    const stream = await anthropic.messages.create({ model: 'claude-sonnet-4-6', max_tokens: 5, messages: [{ role: 'user', content: 'Go.' }], stream: true });
    let delivered = '';
    const error = await failure(async () => {
      for await (const event of stream) delivered += text(event);
    });
    expect(error).toMatchObject({ kind: 'budget_exceeded', partialText: delivered });
    expect(delivered.length).toBeGreaterThan(0);
    expect(delivered.length).toBeLessThan(200);
    expect((await usageOf(store, 24)).held).toBe(0);
    anthropic.keel.close();
  });

  it('a stream never read gives its hold back after firstTokenMs and emits call.finished', async () => {
    await using server = await createTestServer();
    const clock = createFakeClock();
    const { anthropic, store, events } = wrapped(server, LIMIT, { defaults: { timeouts: { firstTokenMs: 1_000, idleMs: 30_000 } }, keel: { clock } });
    const stream = await anthropic.messages.create({ model: 'claude-sonnet-4-6', max_tokens: 100, messages: [{ role: 'user', content: 'Say something.' }], stream: true });
    expect((await usageOf(store)).held).toBeGreaterThan(0);
    clock.advance(1_000);
    await vi.waitFor(() => expect(events.some((event) => event.type === 'call.finished')).toBe(true));
    expect(events.find((event) => event.type === 'call.finished')).toMatchObject({ outcome: 'timeout' });
    const line = await usageOf(store);
    expect(line.held).toBe(0);
    expect(line.committed).toBeGreaterThanOrEqual(servedInput(server.requests[0]!));
    await vi.waitFor(() => expect(server.requests[0]!.closed).toBe(true));
    await expect(failure(async () => {
      for await (const _event of stream) void _event;
    })).resolves.toMatchObject({ kind: 'timeout' });
    anthropic.keel.close();
  });
});
