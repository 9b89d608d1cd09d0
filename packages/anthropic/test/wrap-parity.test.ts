import { describe, expect, it } from 'vitest';
import Anthropic from '@anthropic-ai/sdk';
import { Stream } from '@anthropic-ai/sdk/core/streaming';
import type { Message, MessageCreateParamsStreaming, RawMessageStreamEvent } from '@anthropic-ai/sdk/resources/messages';
import { createTestServer, DEFAULT_REPLY_TEXT } from '@keel/testkit';
import { wrapAnthropic } from '../src/index.js';
import { CANARY_KEY } from './support.js';

// On success the wrapped client returns what the plain SDK returns, field for field. The
// testkit numbers message ids per request, so the id is checked for type and the rest compared.

const BODY = { model: 'claude-sonnet-4-6', max_tokens: 256, messages: [{ role: 'user' as const, content: 'Say something.' }] };

function plainClient(url: string): Anthropic {
  return new Anthropic({ apiKey: CANARY_KEY, baseURL: url, maxRetries: 0 });
}

function wrappedClient(url: string) {
  return wrapAnthropic(new Anthropic({ apiKey: CANARY_KEY, baseURL: url }), { feature: 'support' });
}

function stableMessage(message: Message): Omit<Message, 'id'> {
  expect(message.id).toMatch(/^msg_/);
  const { id: _id, ...rest } = message;
  return rest;
}

function stableEvent(event: RawMessageStreamEvent): unknown {
  return event.type === 'message_start' ? { ...event, message: stableMessage(event.message) } : event;
}

async function eventsOf(stream: AsyncIterable<RawMessageStreamEvent>): Promise<RawMessageStreamEvent[]> {
  const events: RawMessageStreamEvent[] = [];
  for await (const event of stream) events.push(event);
  return events;
}

const textOf = (events: readonly RawMessageStreamEvent[]): string =>
  events.map((event) => (event.type === 'content_block_delta' && event.delta.type === 'text_delta' ? event.delta.text : '')).join('');

describe('wrapAnthropic: same results as the SDK', () => {
  it('returns the same Message, request id included', async () => {
    await using server = await createTestServer();
    const expected = await plainClient(server.url).messages.create(BODY);
    const actual = await wrappedClient(server.url).messages.create(BODY);

    expect(stableMessage(actual)).toStrictEqual(stableMessage(expected));
    expect(actual.content).toStrictEqual([{ type: 'text', text: DEFAULT_REPLY_TEXT }]);
    expect((actual as { _request_id?: unknown })._request_id).toBe('req_000000000000000000000001');
    // The adapter only adds `stream: false`.
    expect(server.requests[1]?.body).toStrictEqual({ ...(server.requests[0]?.body as object), stream: false });
  });

  it('streams the same events', async () => {
    await using server = await createTestServer();
    const body: MessageCreateParamsStreaming = { ...BODY, stream: true };
    const expected = await eventsOf(await plainClient(server.url).messages.create(body));
    const actual = await eventsOf(await wrappedClient(server.url).messages.create(body));

    expect(actual.map(stableEvent)).toStrictEqual(expected.map(stableEvent));
    expect(textOf(actual)).toBe(DEFAULT_REPLY_TEXT);
    expect(server.requests[1]?.body).toStrictEqual(server.requests[0]?.body);
  });

  it('returns an SDK Stream: controller, toReadableStream(), read once', async () => {
    await using server = await createTestServer();
    const stream = await wrappedClient(server.url).messages.create({ ...BODY, stream: true });
    expect(stream).toBeInstanceOf(Stream);
    expect(stream.controller).toBeInstanceOf(AbortController);

    const lines: string[] = [];
    const decoder = new TextDecoder();
    for await (const bytes of stream.toReadableStream() as unknown as AsyncIterable<Uint8Array>) lines.push(decoder.decode(bytes));
    const events = lines.join('').trim().split('\n').map((line) => JSON.parse(line) as RawMessageStreamEvent);
    expect(textOf(events)).toBe(DEFAULT_REPLY_TEXT);

    await expect(eventsOf(stream)).rejects.toMatchObject({ name: 'KeelError', kind: 'bad_request' });
  });
});

describe('wrapAnthropic: tool use', () => {
  // The testkit cannot script tool use, so these answer through the client's own `fetch`: the
  // whole SDK still runs, only the socket is skipped.
  const start = { id: 'msg_1', type: 'message', role: 'assistant', model: 'claude-sonnet-4-6', content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 9, output_tokens: 1 } };
  const frame = (data: object): string => `event: ${(data as { type: string }).type}\ndata: ${JSON.stringify(data)}\n\n`;
  const sse = [
    frame({ type: 'message_start', message: start }),
    frame({ type: 'content_block_start', index: 0, content_block: { type: 'tool_use', id: 'toolu_1', name: 'lookup', input: {} } }),
    frame({ type: 'content_block_delta', index: 0, delta: { type: 'input_json_delta', partial_json: '{"q":' } }),
    frame({ type: 'content_block_delta', index: 0, delta: { type: 'input_json_delta', partial_json: '"fox"}' } }),
    frame({ type: 'content_block_stop', index: 0 }),
    frame({ type: 'message_delta', delta: { stop_reason: 'tool_use', stop_sequence: null }, usage: { output_tokens: 12 } }),
    frame({ type: 'message_stop' }),
  ].join('');
  const message = { ...start, content: [{ type: 'tool_use', id: 'toolu_1', name: 'lookup', input: { q: 'fox' } }], stop_reason: 'tool_use', usage: { input_tokens: 9, output_tokens: 12 } };
  const tools = [{ name: 'lookup', description: 'Looks things up', input_schema: { type: 'object' as const, properties: { q: { type: 'string' } } } }];

  function answering(body: string, contentType: string, sent: unknown[]): Anthropic {
    return new Anthropic({
      apiKey: CANARY_KEY,
      baseURL: 'http://tools.invalid',
      fetch: async (_url, init) => {
        sent.push(JSON.parse(init?.body as string));
        return new Response(body, { status: 200, headers: { 'content-type': contentType } });
      },
    });
  }

  it('streams input_json_delta events unchanged (a tool-input delta is the commit point)', async () => {
    const sent: unknown[] = [];
    const body: MessageCreateParamsStreaming = { ...BODY, tools, stream: true };
    const expected = await eventsOf(await answering(sse, 'text/event-stream', sent).messages.create(body));
    const actual = await eventsOf(await wrapAnthropic(answering(sse, 'text/event-stream', sent), { feature: 'support' }).messages.create(body));

    expect(actual).toStrictEqual(expected);
    expect(actual.filter((event) => event.type === 'content_block_delta')).toHaveLength(2);
    expect(sent[1]).toStrictEqual(sent[0]);
  });

  it('returns a tool_use Message unchanged', async () => {
    const json = JSON.stringify(message);
    const expected = await answering(json, 'application/json', []).messages.create({ ...BODY, tools });
    const actual = await wrapAnthropic(answering(json, 'application/json', []), { feature: 'support' }).messages.create({ ...BODY, tools });
    expect(actual).toStrictEqual(expected);
    expect(actual.stop_reason).toBe('tool_use');
  });
});
