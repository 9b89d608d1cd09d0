import { describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { Stream } from 'openai/core/streaming';
import type { ChatCompletionChunk, ChatCompletionCreateParamsStreaming } from 'openai/resources/chat/completions';
import { createTestServer, DEFAULT_REPLY_TEXT } from '@keel/testkit';
import { wrapOpenAI } from '../src/index.js';
import { CANARY_KEY } from './support.js';

// On success the wrapped client returns what the plain SDK returns, field for field. The
// testkit numbers ids per request and stamps `created` per second, so those two are checked
// for type and the rest compared exactly.

const BODY = { model: 'gpt-4o-mini', messages: [{ role: 'user' as const, content: 'Say something.' }] };

function plainClient(url: string): OpenAI {
  return new OpenAI({ apiKey: CANARY_KEY, baseURL: `${url}/v1`, maxRetries: 0 });
}

function wrappedClient(url: string) {
  return wrapOpenAI(new OpenAI({ apiKey: CANARY_KEY, baseURL: `${url}/v1` }), { feature: 'support' });
}

function stable<T extends { id: string; created: number }>(value: T): Omit<T, 'id' | 'created'> {
  expect(value.id).toEqual(expect.any(String));
  expect(value.created).toEqual(expect.any(Number));
  const { id: _id, created: _created, ...rest } = value;
  return rest;
}

async function chunksOf(stream: AsyncIterable<ChatCompletionChunk>): Promise<ChatCompletionChunk[]> {
  const chunks: ChatCompletionChunk[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return chunks;
}

describe('wrapOpenAI: same results as the SDK', () => {
  it('returns the same ChatCompletion, request id included', async () => {
    await using server = await createTestServer();
    const expected = await plainClient(server.url).chat.completions.create(BODY);
    const actual = await wrappedClient(server.url).chat.completions.create(BODY);

    expect(stable(actual)).toStrictEqual(stable(expected));
    expect(actual.choices[0]?.message.content).toBe(DEFAULT_REPLY_TEXT);
    expect((actual as { _request_id?: unknown })._request_id).toBe('req_000000000000000000000001');
    // The adapter only adds `stream: false`.
    expect(server.requests[1]?.body).toEqual({ ...(server.requests[0]?.body as object), stream: false });
  });

  it.each([
    ['without include_usage', {}],
    ['with include_usage', { stream_options: { include_usage: true } }],
  ])('streams the same chunks %s', async (_name, extra) => {
    await using server = await createTestServer();
    const body: ChatCompletionCreateParamsStreaming = { ...BODY, ...extra, stream: true };
    const expected = await chunksOf(await plainClient(server.url).chat.completions.create(body));
    const actual = await chunksOf(await wrappedClient(server.url).chat.completions.create(body));

    expect(actual.map(stable)).toStrictEqual(expected.map(stable));
    expect(actual.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('')).toBe(DEFAULT_REPLY_TEXT);
    // Keel always asks for usage; the caller sees it only when they asked too.
    expect(server.requests[1]?.body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
  });

  it('returns an SDK Stream: controller, toReadableStream(), read once', async () => {
    await using server = await createTestServer();
    const wrapped = wrappedClient(server.url);
    const stream = await wrapped.chat.completions.create({ ...BODY, stream: true });
    expect(stream).toBeInstanceOf(Stream);
    expect(stream.controller).toBeInstanceOf(AbortController);

    const lines: string[] = [];
    const decoder = new TextDecoder();
    for await (const bytes of stream.toReadableStream() as unknown as AsyncIterable<Uint8Array>) lines.push(decoder.decode(bytes));
    const chunks = lines.join('').trim().split('\n').map((line) => JSON.parse(line) as ChatCompletionChunk);
    expect(chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('')).toBe(DEFAULT_REPLY_TEXT);

    await expect(chunksOf(stream)).rejects.toMatchObject({ name: 'KeelError', kind: 'bad_request' });
  });

  it('tee() splits a wrapped stream like an SDK one', async () => {
    await using server = await createTestServer();
    const stream = await wrappedClient(server.url).chat.completions.create({ ...BODY, stream: true });
    const [left, right] = stream.tee();
    const [a, b] = await Promise.all([chunksOf(left), chunksOf(right)]);
    expect(a).toEqual(b);
    expect(a.length).toBeGreaterThan(3);
  });
});

describe('wrapOpenAI: tool calls', () => {
  // The testkit cannot script tool calls, so these answer through the client's own `fetch`:
  // the whole SDK still runs, only the socket is skipped.
  const call = { index: 0, id: 'call_1', type: 'function', function: { name: 'lookup', arguments: '' } };
  const chunk = (delta: object, finish: string | null = null): string =>
    `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'gpt-4o', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
  const sse =
    chunk({ role: 'assistant', content: null }) +
    chunk({ tool_calls: [call] }) +
    chunk({ tool_calls: [{ index: 0, function: { arguments: '{"q":' } }] }) +
    chunk({ tool_calls: [{ index: 0, function: { arguments: '1}' } }] }) +
    chunk({}, 'tool_calls') +
    'data: [DONE]\n\n';
  const completion = {
    id: 'chatcmpl-1',
    object: 'chat.completion',
    created: 1,
    model: 'gpt-4o',
    choices: [
      {
        index: 0,
        finish_reason: 'tool_calls',
        message: { role: 'assistant', content: null, refusal: null, tool_calls: [{ ...call, function: { name: 'lookup', arguments: '{"q":1}' } }] },
      },
    ],
    usage: { prompt_tokens: 5, completion_tokens: 9, total_tokens: 14 },
  };
  const tools = [{ type: 'function' as const, function: { name: 'lookup', parameters: { type: 'object' } } }];

  function answering(body: string, contentType: string, sent: unknown[]): OpenAI {
    return new OpenAI({
      apiKey: CANARY_KEY,
      baseURL: 'http://tools.invalid/v1',
      fetch: async (_url, init) => {
        sent.push(JSON.parse(init?.body as string));
        return new Response(body, { status: 200, headers: { 'content-type': contentType } });
      },
    });
  }

  it('streams tool-call deltas unchanged (a tool-call delta is the commit point)', async () => {
    const sent: unknown[] = [];
    const body: ChatCompletionCreateParamsStreaming = { ...BODY, tools, stream: true };
    const expected = await chunksOf(await answering(sse, 'text/event-stream', sent).chat.completions.create(body));
    const wrapped = wrapOpenAI(answering(sse, 'text/event-stream', sent), { feature: 'support' });
    const actual = await chunksOf(await wrapped.chat.completions.create(body));

    expect(actual).toStrictEqual(expected);
    expect(actual.at(-1)?.choices[0]?.finish_reason).toBe('tool_calls');
    expect(sent[1]).toMatchObject({ tools });
  });

  it('returns a tool-call completion unchanged', async () => {
    const json = JSON.stringify(completion);
    const expected = await answering(json, 'application/json', []).chat.completions.create({ ...BODY, tools });
    const actual = await wrapOpenAI(answering(json, 'application/json', []), { feature: 'support' }).chat.completions.create({
      ...BODY,
      tools,
    });
    expect(actual).toStrictEqual(expected);
    expect(actual.choices[0]?.message.tool_calls?.[0]).toMatchObject({ id: 'call_1', type: 'function' });
  });
});
