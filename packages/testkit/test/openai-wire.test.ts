import OpenAI from 'openai';
import type { ChatCompletionChunk } from 'openai/resources/chat/completions';
import { describe, expect, it } from 'vitest';
import { createTestServer, DEFAULT_REPLY_TEXT, splitIntoChunks } from '../src/index.js';
import { CANARY_KEY, drain, openaiFor, rejectionOf, USER_PROMPT } from './helpers.js';

const MODEL = 'gpt-4.1-mini';
const CHUNKS = splitIntoChunks(DEFAULT_REPLY_TEXT);
const PROMPT_TOKENS = Math.ceil(USER_PROMPT[0]!.content.length / 4);

function contentOf(chunks: readonly ChatCompletionChunk[]): string[] {
  return chunks.flatMap((chunk) => {
    const content = chunk.choices[0]?.delta.content;
    return content ? [content] : [];
  });
}

describe('OpenAI wire: successful replies', () => {
  it('answers a JSON request field for field, echoing the model and never the prompt', async () => {
    await using server = await createTestServer();
    const { data, response } = await openaiFor(server)
      .chat.completions.create({ model: MODEL, messages: USER_PROMPT })
      .withResponse();

    expect(data).toMatchObject({
      id: expect.stringMatching(/^chatcmpl-/),
      object: 'chat.completion',
      created: expect.any(Number),
      model: MODEL,
      system_fingerprint: expect.any(String),
    });
    expect(data.choices).toEqual([
      {
        index: 0,
        message: { role: 'assistant', content: DEFAULT_REPLY_TEXT, refusal: null, annotations: [] },
        logprobs: null,
        finish_reason: 'stop',
      },
    ]);
    expect(data.usage).toMatchObject({
      prompt_tokens: PROMPT_TOKENS,
      completion_tokens: CHUNKS.length,
      total_tokens: PROMPT_TOKENS + CHUNKS.length,
    });
    expect(data.choices[0]?.message.content).not.toContain('foxes');
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(response.headers.get('x-request-id')).toMatch(/^req_/);
    expect(response.headers.get('openai-processing-ms')).toMatch(/^\d+$/);
  });

  it('streams a role chunk, content deltas and a finish chunk, with no usage unless asked', async () => {
    await using server = await createTestServer();
    const { data: stream, response } = await openaiFor(server)
      .chat.completions.create({ model: MODEL, messages: USER_PROMPT, stream: true })
      .withResponse();
    const { items, error } = await drain(stream);

    expect(error).toBeUndefined();
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    expect(items[0]?.choices[0]?.delta).toEqual({ role: 'assistant', content: '', refusal: null });
    expect(contentOf(items)).toEqual(CHUNKS);
    expect(items.at(-1)?.choices[0]).toMatchObject({ delta: {}, finish_reason: 'stop' });
    expect(items.length).toBe(CHUNKS.length + 2);
    for (const chunk of items) {
      expect(chunk).toMatchObject({ object: 'chat.completion.chunk', model: MODEL, id: items[0]?.id });
      expect('usage' in chunk).toBe(false);
    }
  });

  it('sends the usage chunk with empty choices only when stream_options.include_usage is set', async () => {
    await using server = await createTestServer();
    const stream = await openaiFor(server).chat.completions.create({
      model: MODEL,
      messages: USER_PROMPT,
      stream: true,
      stream_options: { include_usage: true },
    });
    const { items } = await drain(stream);
    const last = items.at(-1);

    expect(last?.choices).toEqual([]);
    expect(last?.usage).toMatchObject({ prompt_tokens: PROMPT_TOKENS, completion_tokens: CHUNKS.length });
    expect(items.slice(0, -1).every((chunk) => chunk.usage === null)).toBe(true);
    expect(items.at(-2)?.choices[0]?.finish_reason).toBe('stop');
  });

  it('uses the text, finish reason, usage, model and headers an ok fault names', async () => {
    await using server = await createTestServer({
      script: [
        {
          type: 'ok',
          text: 'Cut short',
          finishReason: 'length',
          usage: { inputTokens: 11, outputTokens: 2 },
          model: 'gpt-4.1-2025-04-14',
          headers: { 'x-custom': 'yes' },
        },
      ],
    });
    const { data, response } = await openaiFor(server)
      .chat.completions.create({ model: MODEL, messages: USER_PROMPT })
      .withResponse();

    expect(data.choices[0]?.message.content).toBe('Cut short');
    expect(data.choices[0]?.finish_reason).toBe('length');
    expect(data.usage).toMatchObject({ prompt_tokens: 11, completion_tokens: 2, total_tokens: 13 });
    expect(data.model).toBe('gpt-4.1-2025-04-14');
    expect(response.headers.get('x-custom')).toBe('yes');
  });
});

describe('OpenAI wire: status faults', () => {
  it('429 → RateLimitError with the real body and the scripted headers', async () => {
    await using server = await createTestServer({
      script: [{ type: 'status', status: 429, headers: { 'retry-after': '2', 'x-should-retry': 'true' } }],
    });
    const error = await rejectionOf(openaiFor(server).chat.completions.create({ model: MODEL, messages: USER_PROMPT }));

    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    expect(error).toMatchObject({ status: 429, code: 'rate_limit_exceeded', type: 'requests', param: null });
    const apiError = error as InstanceType<typeof OpenAI.RateLimitError>;
    expect(apiError.headers.get('retry-after')).toBe('2');
    expect(apiError.headers.get('x-should-retry')).toBe('true');
    expect(apiError.requestID).toMatch(/^req_/);
    expect(apiError.message).toContain('Rate limit reached for gpt-4.1-mini');
  });

  it('429 insufficient_quota has its own type and message', async () => {
    await using server = await createTestServer({
      script: [{ type: 'status', status: 429, error: { code: 'insufficient_quota' } }],
    });
    const error = await rejectionOf(openaiFor(server).chat.completions.create({ model: MODEL, messages: USER_PROMPT }));
    expect(error).toMatchObject({ status: 429, code: 'insufficient_quota', type: 'insufficient_quota' });
    expect((error as Error).message).toContain('exceeded your current quota');
  });

  it('400 context_length_exceeded and content_policy_violation → BadRequestError with code and param', async () => {
    await using server = await createTestServer({
      script: [
        { type: 'status', status: 400, error: { code: 'context_length_exceeded' } },
        { type: 'status', status: 400, error: { code: 'content_policy_violation' } },
      ],
    });
    const client = openaiFor(server);
    const tooLong = await rejectionOf(client.chat.completions.create({ model: MODEL, messages: USER_PROMPT }));
    const unsafe = await rejectionOf(client.chat.completions.create({ model: MODEL, messages: USER_PROMPT }));

    expect(tooLong).toBeInstanceOf(OpenAI.BadRequestError);
    expect(tooLong).toMatchObject({ status: 400, code: 'context_length_exceeded', type: 'invalid_request_error', param: 'messages' });
    expect((tooLong as Error).message).toContain('maximum context length');
    expect(unsafe).toBeInstanceOf(OpenAI.BadRequestError);
    expect(unsafe).toMatchObject({ code: 'content_policy_violation', type: 'invalid_request_error' });
  });

  it('401 quotes a masked key and never the key the client sent', async () => {
    await using server = await createTestServer({ script: [{ type: 'status', status: 401 }] });
    const error = await rejectionOf(
      openaiFor(server, { apiKey: CANARY_KEY }).chat.completions.create({ model: MODEL, messages: USER_PROMPT }),
    );

    expect(error).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(error).toMatchObject({ status: 401, code: 'invalid_api_key', type: 'invalid_request_error' });
    const apiError = error as InstanceType<typeof OpenAI.AuthenticationError>;
    expect(apiError.message).toMatch(/^401 Incorrect API key provided: sk-\*\*\*CRET\. /);
    expect(apiError.message).not.toContain(CANARY_KEY);
    expect(JSON.stringify(apiError.error)).not.toContain(CANARY_KEY);
    // The server did see the key, in the request log.
    expect(server.requests[0]?.headers['authorization']).toBe(`Bearer ${CANARY_KEY}`);
  });

  it('500, 503 and a proxy HTML 502 → InternalServerError with the status', async () => {
    await using server = await createTestServer({
      script: [
        { type: 'status', status: 500 },
        { type: 'status', status: 503 },
        { type: 'status', status: 502, body: '<html><body>502 Bad Gateway</body></html>' },
      ],
    });
    const client = openaiFor(server);
    const errors = [
      await rejectionOf(client.chat.completions.create({ model: MODEL, messages: USER_PROMPT })),
      await rejectionOf(client.chat.completions.create({ model: MODEL, messages: USER_PROMPT })),
      await rejectionOf(client.chat.completions.create({ model: MODEL, messages: USER_PROMPT })),
    ];

    for (const error of errors) expect(error).toBeInstanceOf(OpenAI.InternalServerError);
    expect(errors[0]).toMatchObject({ status: 500, type: 'server_error' });
    expect(errors[1]).toMatchObject({ status: 503, type: 'server_error' });
    expect((errors[1] as Error).message).toContain('overloaded');
    expect(errors[2]).toMatchObject({ status: 502, type: undefined });
  });

  it('passes a scripted error through unchanged and fails a stream request the same way', async () => {
    const fault = { type: 'status', status: 404, error: { type: 'custom_type', code: 'custom_code', message: 'custom message', param: 'model' } } as const;
    await using server = await createTestServer({ script: [fault, fault] });
    const client = openaiFor(server);
    const json = await rejectionOf(client.chat.completions.create({ model: MODEL, messages: USER_PROMPT }));
    const stream = await rejectionOf(client.chat.completions.create({ model: MODEL, messages: USER_PROMPT, stream: true }));

    for (const error of [json, stream]) {
      expect(error).toBeInstanceOf(OpenAI.NotFoundError);
      expect(error).toMatchObject({ status: 404, type: 'custom_type', code: 'custom_code', param: 'model', message: '404 custom message' });
    }
  });
});

describe('OpenAI wire: connection and stream faults', () => {
  it('reset → APIConnectionError, for JSON and stream requests', async () => {
    await using server = await createTestServer({ script: [{ type: 'reset' }, { type: 'reset' }] });
    const client = openaiFor(server);
    expect(await rejectionOf(client.chat.completions.create({ model: MODEL, messages: USER_PROMPT }))).toBeInstanceOf(
      OpenAI.APIConnectionError,
    );
    expect(
      await rejectionOf(client.chat.completions.create({ model: MODEL, messages: USER_PROMPT, stream: true })),
    ).toBeInstanceOf(OpenAI.APIConnectionError);
    expect(server.hits).toBe(2);
  });

  it('reset-after → the chunks so far, then a raw TypeError that is not an OpenAI error class', async () => {
    await using server = await createTestServer({ script: [{ type: 'reset-after', chunks: 2 }, { type: 'reset-after', chunks: 0 }] });
    const client = openaiFor(server);
    const { items, error } = await drain(await client.chat.completions.create({ model: MODEL, messages: USER_PROMPT, stream: true }));

    expect(contentOf(items)).toEqual(CHUNKS.slice(0, 2));
    expect(error).toBeInstanceOf(TypeError);
    expect(error).not.toBeInstanceOf(OpenAI.APIError);

    const json = await rejectionOf(client.chat.completions.create({ model: MODEL, messages: USER_PROMPT }));
    expect(json).toBeInstanceOf(TypeError);
    expect(json).not.toBeInstanceOf(OpenAI.APIError);
  });

  it('stall-after → N deltas then silence; aborting ends the iteration without an error', async () => {
    await using server = await createTestServer({ script: [{ type: 'stall-after', chunks: 3 }] });
    const controller = new AbortController();
    const stream = await openaiFor(server).chat.completions.create(
      { model: MODEL, messages: USER_PROMPT, stream: true },
      { signal: controller.signal },
    );
    const { items, error } = await drain(stream, (chunk) => {
      if (chunk.choices[0]?.delta.content === CHUNKS[2]) controller.abort();
    });

    expect(contentOf(items)).toEqual(CHUNKS.slice(0, 3));
    // openai@7 swallows the abort: the loop just ends. Adapters must check the signal themselves.
    expect(error).toBeUndefined();
    await server.waitFor(() => server.requests[0]?.aborted === true);
  });

  it('hang → never answers; an abort gives APIUserAbortError and the server sees the client leave', async () => {
    await using server = await createTestServer({ script: [{ type: 'hang' }] });
    const controller = new AbortController();
    const pending = rejectionOf(
      openaiFor(server).chat.completions.create({ model: MODEL, messages: USER_PROMPT }, { signal: controller.signal }),
    );
    await server.waitFor(() => server.hits === 1);
    controller.abort();

    expect(await pending).toBeInstanceOf(OpenAI.APIUserAbortError);
    await server.waitFor(() => server.requests[0]?.aborted === true);
  });

  it('hang → the SDK timeout gives APIConnectionTimeoutError', async () => {
    await using server = await createTestServer({ script: [{ type: 'hang' }] });
    const error = await rejectionOf(
      openaiFor(server).chat.completions.create({ model: MODEL, messages: USER_PROMPT }, { timeout: 50 }),
    );
    expect(error).toBeInstanceOf(OpenAI.APIConnectionTimeoutError);
  });

  it('slow-first-token → headers and the role chunk arrive, the first delta does not', async () => {
    await using server = await createTestServer({ script: [{ type: 'slow-first-token', delayMs: 60_000 }] });
    const controller = new AbortController();
    const stream = await openaiFor(server).chat.completions.create(
      { model: MODEL, messages: USER_PROMPT, stream: true },
      { signal: controller.signal },
    );
    const { items } = await drain(stream, () => controller.abort());

    expect(items).toHaveLength(1);
    expect(items[0]?.choices[0]?.delta.role).toBe('assistant');
    await server.waitFor(() => server.requests[0]?.aborted === true);
  });

  it('slow-headers → a normal reply once the delay passes', async () => {
    await using server = await createTestServer({ script: [{ type: 'slow-headers', delayMs: 10 }] });
    const reply = await openaiFor(server).chat.completions.create({ model: MODEL, messages: USER_PROMPT });
    expect(reply.choices[0]?.message.content).toBe(DEFAULT_REPLY_TEXT);
  });

  it('malformed-json → a SyntaxError, not an API error', async () => {
    await using server = await createTestServer({ script: [{ type: 'malformed-json' }] });
    const error = await rejectionOf(openaiFor(server).chat.completions.create({ model: MODEL, messages: USER_PROMPT }));
    expect(error).toBeInstanceOf(SyntaxError);
  });

  it('malformed-sse → the deltas before it, then a SyntaxError', async () => {
    await using server = await createTestServer({ script: [{ type: 'malformed-sse', afterChunks: 2 }] });
    const stream = await openaiFor(server).chat.completions.create({ model: MODEL, messages: USER_PROMPT, stream: true });
    const { items, error } = await drain(stream);

    expect(contentOf(items)).toEqual(CHUNKS.slice(0, 2));
    expect(error).toBeInstanceOf(SyntaxError);
    expect((error as Error).message).toContain('malformed server-sent event JSON');
  });

  it('no-done → the stream ends quietly after the text; with finish the finish chunk comes first', async () => {
    await using server = await createTestServer({ script: [{ type: 'no-done' }, { type: 'no-done', finish: true }] });
    const client = openaiFor(server);
    const bare = await drain(await client.chat.completions.create({ model: MODEL, messages: USER_PROMPT, stream: true }));
    const finished = await drain(await client.chat.completions.create({ model: MODEL, messages: USER_PROMPT, stream: true }));

    expect(bare.error).toBeUndefined();
    expect(contentOf(bare.items)).toEqual(CHUNKS);
    expect(bare.items.some((chunk) => chunk.choices[0]?.finish_reason)).toBe(false);
    expect(finished.error).toBeUndefined();
    expect(finished.items.at(-1)?.choices[0]?.finish_reason).toBe('stop');
  });

  it('error-event → the deltas before it, then an APIError with no status and the error fields', async () => {
    await using server = await createTestServer({
      script: [{ type: 'error-event', afterChunks: 1, errorType: 'server_error', message: 'The model crashed.' }, { type: 'error-event' }],
    });
    const client = openaiFor(server);
    const { items, error } = await drain(await client.chat.completions.create({ model: MODEL, messages: USER_PROMPT, stream: true }));

    expect(contentOf(items)).toEqual(CHUNKS.slice(0, 1));
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect(error).toMatchObject({ status: undefined, type: 'server_error', message: 'The model crashed.' });

    // A JSON request gets the status error instead.
    const json = await rejectionOf(client.chat.completions.create({ model: MODEL, messages: USER_PROMPT }));
    expect(json).toBeInstanceOf(OpenAI.InternalServerError);
    expect(json).toMatchObject({ status: 500 });
  });
});
