import Anthropic from '@anthropic-ai/sdk';
import type { RawMessageStreamEvent } from '@anthropic-ai/sdk/resources/messages';
import { describe, expect, it } from 'vitest';
import { createTestServer, DEFAULT_REPLY_TEXT, splitIntoChunks } from '../src/index.js';
import { anthropicFor, CANARY_KEY, drain, rejectionOf, USER_PROMPT } from './helpers.js';

const MODEL = 'claude-haiku-4-5';
const CHUNKS = splitIntoChunks(DEFAULT_REPLY_TEXT);
const INPUT_TOKENS = Math.ceil(USER_PROMPT[0]!.content.length / 4);
const REQUEST = { model: MODEL, max_tokens: 64, messages: USER_PROMPT };

function textOf(events: readonly RawMessageStreamEvent[]): string[] {
  return events.flatMap((event) =>
    event.type === 'content_block_delta' && event.delta.type === 'text_delta' ? [event.delta.text] : [],
  );
}

describe('Anthropic wire: successful replies', () => {
  it('answers a JSON request field for field, echoing the model and never the prompt', async () => {
    await using server = await createTestServer();
    const { data, response } = await anthropicFor(server).messages.create(REQUEST).withResponse();

    expect(data).toMatchObject({
      id: expect.stringMatching(/^msg_/),
      type: 'message',
      role: 'assistant',
      model: MODEL,
      content: [{ type: 'text', text: DEFAULT_REPLY_TEXT }],
      stop_reason: 'end_turn',
      stop_sequence: null,
      usage: { input_tokens: INPUT_TOKENS, output_tokens: CHUNKS.length },
    });
    expect(JSON.stringify(data.content)).not.toContain('foxes');
    expect(response.headers.get('request-id')).toMatch(/^req_/);
    expect(response.headers.get('anthropic-ratelimit-requests-remaining')).toMatch(/^\d+$/);
  });

  it('streams message_start … message_stop in order, skipping ping', async () => {
    await using server = await createTestServer();
    const { data: stream, response } = await anthropicFor(server)
      .messages.create({ ...REQUEST, stream: true })
      .withResponse();
    const { items, error } = await drain(stream);

    expect(error).toBeUndefined();
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    expect(items.map((event) => event.type)).toEqual([
      'message_start',
      'content_block_start',
      ...CHUNKS.map(() => 'content_block_delta'),
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    expect(items[0]).toMatchObject({
      message: { model: MODEL, role: 'assistant', content: [], stop_reason: null, usage: { input_tokens: INPUT_TOKENS } },
    });
    expect(textOf(items)).toEqual(CHUNKS);
    expect(items.at(-2)).toMatchObject({
      type: 'message_delta',
      delta: { stop_reason: 'end_turn', stop_sequence: null },
      usage: { output_tokens: CHUNKS.length },
    });
  });

  it('the MessageStream helper assembles the same message', async () => {
    await using server = await createTestServer({ script: [{ type: 'ok', finishReason: 'max_tokens' }] });
    const message = await anthropicFor(server).messages.stream(REQUEST).finalMessage();

    expect(message.content).toEqual([expect.objectContaining({ type: 'text', text: DEFAULT_REPLY_TEXT })]);
    expect(message.stop_reason).toBe('max_tokens');
    expect(message.usage).toMatchObject({ input_tokens: INPUT_TOKENS, output_tokens: CHUNKS.length });
  });
});

describe('Anthropic wire: status faults', () => {
  it('529 → OverloadedError with type overloaded_error and the request id', async () => {
    await using server = await createTestServer({ script: [{ type: 'status', status: 529, headers: { 'x-should-retry': 'true' } }] });
    const error = await rejectionOf(anthropicFor(server).messages.create(REQUEST));

    expect(error).toBeInstanceOf(Anthropic.InternalServerError);
    expect((error as Error).name).toBe('OverloadedError');
    const apiError = error as InstanceType<typeof Anthropic.APIError>;
    expect(apiError).toMatchObject({ status: 529, type: 'overloaded_error', apiMessage: 'Overloaded' });
    expect(apiError.requestID).toMatch(/^req_/);
    expect(apiError.headers?.get('x-should-retry')).toBe('true');
    expect(apiError.error).toMatchObject({ type: 'error', error: { type: 'overloaded_error' }, request_id: apiError.requestID });
  });

  it('429 → RateLimitError with retry-after visible on the error', async () => {
    await using server = await createTestServer({ script: [{ type: 'status', status: 429, headers: { 'retry-after': '3' } }] });
    const error = await rejectionOf(anthropicFor(server).messages.create(REQUEST));

    expect(error).toBeInstanceOf(Anthropic.RateLimitError);
    expect(error).toMatchObject({ status: 429, type: 'rate_limit_error' });
    expect((error as InstanceType<typeof Anthropic.RateLimitError>).headers.get('retry-after')).toBe('3');
  });

  it.each([
    [400, Anthropic.BadRequestError, 'invalid_request_error'],
    [401, Anthropic.AuthenticationError, 'authentication_error'],
    [403, Anthropic.PermissionDeniedError, 'permission_error'],
    [404, Anthropic.NotFoundError, 'not_found_error'],
    [500, Anthropic.InternalServerError, 'api_error'],
  ] as const)('%i → %o with type %s', async (status, errorClass, type) => {
    await using server = await createTestServer({ script: [{ type: 'status', status }] });
    const error = await rejectionOf(anthropicFor(server, { apiKey: CANARY_KEY }).messages.create(REQUEST));

    expect(error).toBeInstanceOf(errorClass);
    expect(error).toMatchObject({ status, type });
    expect(JSON.stringify((error as InstanceType<typeof Anthropic.APIError>).error)).not.toContain(CANARY_KEY);
  });

  it('a scripted code arrives as details.error_code, with a wire-appropriate message', async () => {
    await using server = await createTestServer({ script: [{ type: 'status', status: 400, error: { code: 'context_length_exceeded' } }] });
    const error = await rejectionOf(anthropicFor(server).messages.create(REQUEST));

    expect(error).toBeInstanceOf(Anthropic.BadRequestError);
    expect(error).toMatchObject({ type: 'invalid_request_error', errorCode: 'context_length_exceeded' });
    expect((error as InstanceType<typeof Anthropic.APIError>).apiMessage).toContain('prompt is too long');
  });
});

describe('Anthropic wire: connection and stream faults', () => {
  it('reset → APIConnectionError', async () => {
    await using server = await createTestServer({ script: [{ type: 'reset' }] });
    expect(await rejectionOf(anthropicFor(server).messages.create(REQUEST))).toBeInstanceOf(Anthropic.APIConnectionError);
  });

  it('reset-after → the deltas so far, then a raw TypeError (the helper wraps it in AnthropicError)', async () => {
    await using server = await createTestServer({ script: [{ type: 'reset-after', chunks: 2 }, { type: 'reset-after', chunks: 1 }] });
    const client = anthropicFor(server);
    const { items, error } = await drain(await client.messages.create({ ...REQUEST, stream: true }));

    expect(textOf(items)).toEqual(CHUNKS.slice(0, 2));
    expect(error).toBeInstanceOf(TypeError);
    expect(error).not.toBeInstanceOf(Anthropic.APIError);

    const helper = await rejectionOf(client.messages.stream(REQUEST).finalMessage());
    expect(helper).toBeInstanceOf(Anthropic.AnthropicError);
    expect(helper).not.toBeInstanceOf(Anthropic.APIError);
  });

  it('error-event → an APIError with no status and type overloaded_error, after the deltas before it', async () => {
    await using server = await createTestServer({
      script: [{ type: 'error-event', afterChunks: 2 }, { type: 'error-event', errorType: 'api_error', message: 'Internal server error' }],
    });
    const client = anthropicFor(server);
    const { items, error } = await drain(await client.messages.create({ ...REQUEST, stream: true }));

    expect(textOf(items)).toEqual(CHUNKS.slice(0, 2));
    expect(error).toBeInstanceOf(Anthropic.APIError);
    expect(error).toMatchObject({ status: undefined, type: 'overloaded_error', apiMessage: 'Overloaded' });

    const custom = await rejectionOf(client.messages.stream(REQUEST).finalMessage());
    expect(custom).toMatchObject({ status: undefined, type: 'api_error', apiMessage: 'Internal server error' });
  });

  it('error-event on a JSON request → 529 OverloadedError', async () => {
    await using server = await createTestServer({ script: [{ type: 'error-event' }] });
    const error = await rejectionOf(anthropicFor(server).messages.create(REQUEST));
    expect(error).toMatchObject({ status: 529, type: 'overloaded_error' });
  });

  it('stall-after → N deltas then silence; aborting ends the iteration without an error', async () => {
    await using server = await createTestServer({ script: [{ type: 'stall-after', chunks: 2 }] });
    const controller = new AbortController();
    const stream = await anthropicFor(server).messages.create({ ...REQUEST, stream: true }, { signal: controller.signal });
    const { items, error } = await drain(stream, (event) => {
      if (event.type === 'content_block_delta' && event.delta.type === 'text_delta' && event.delta.text === CHUNKS[1]) {
        controller.abort();
      }
    });

    expect(textOf(items)).toEqual(CHUNKS.slice(0, 2));
    expect(error).toBeUndefined();
    await server.waitFor(() => server.requests[0]?.aborted === true);
  });

  it('hang → an abort gives APIUserAbortError', async () => {
    await using server = await createTestServer({ script: [{ type: 'hang' }] });
    const controller = new AbortController();
    const pending = rejectionOf(anthropicFor(server).messages.create(REQUEST, { signal: controller.signal }));
    await server.waitFor(() => server.hits === 1);
    controller.abort();

    expect(await pending).toBeInstanceOf(Anthropic.APIUserAbortError);
    await server.waitFor(() => server.requests[0]?.aborted === true);
  });

  it('slow-first-token → message_start and content_block_start arrive, the first delta does not', async () => {
    await using server = await createTestServer({ script: [{ type: 'slow-first-token', delayMs: 60_000 }] });
    const controller = new AbortController();
    const stream = await anthropicFor(server).messages.create({ ...REQUEST, stream: true }, { signal: controller.signal });
    const { items } = await drain(stream, (event) => {
      if (event.type === 'content_block_start') controller.abort();
    });

    expect(items.map((event) => event.type)).toEqual(['message_start', 'content_block_start']);
  });

  it('malformed-sse → a SyntaxError; malformed-json → a SyntaxError', async () => {
    await using server = await createTestServer({ script: [{ type: 'malformed-sse', afterChunks: 1 }, { type: 'malformed-json' }] });
    const client = anthropicFor(server);
    const { items, error } = await drain(await client.messages.create({ ...REQUEST, stream: true }));

    expect(textOf(items)).toEqual(CHUNKS.slice(0, 1));
    expect(error).toBeInstanceOf(SyntaxError);
    expect(await rejectionOf(client.messages.create(REQUEST))).toBeInstanceOf(SyntaxError);
  });

  it('no-done → the raw stream ends quietly, but the MessageStream helper rejects', async () => {
    await using server = await createTestServer({ script: [{ type: 'no-done', finish: true }, { type: 'no-done' }] });
    const client = anthropicFor(server);
    const raw = await drain(await client.messages.create({ ...REQUEST, stream: true }));

    expect(raw.error).toBeUndefined();
    expect(raw.items.at(-1)?.type).toBe('message_delta');

    const helper = await rejectionOf(client.messages.stream(REQUEST).finalMessage());
    expect(helper).toBeInstanceOf(Anthropic.AnthropicError);
    expect((helper as Error).message).toContain('stream ended without producing a Message');
  });
});
