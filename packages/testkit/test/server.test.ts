import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { createTestServer, DEFAULT_REPLY_TEXT, type Fault } from '../src/index.js';
import { TimerSet } from '../src/server/timers.js';
import { anthropicFor, drain, openaiFor, rejectionOf, USER_PROMPT } from './helpers.js';

const MODEL = 'gpt-4o-mini';

describe('request log', () => {
  it('records each request with lower-cased headers, the parsed body and the wire', async () => {
    await using server = await createTestServer();
    await openaiFor(server).chat.completions.create({ model: MODEL, messages: USER_PROMPT });
    await drain(await anthropicFor(server).messages.create({ model: 'claude-x', max_tokens: 8, messages: USER_PROMPT, stream: true }));

    expect(server.hits).toBe(2);
    const [openaiRequest, anthropicRequest] = server.requests;
    expect(openaiRequest).toMatchObject({
      index: 0,
      method: 'POST',
      path: '/v1/chat/completions',
      wire: 'openai',
      stream: false,
      body: { model: MODEL, messages: USER_PROMPT },
      aborted: false,
      closed: true,
      fault: { type: 'ok' },
    });
    expect(openaiRequest?.headers['authorization']).toBe('Bearer sk-test');
    expect(openaiRequest?.headers['x-stainless-retry-count']).toBe('0');
    expect(Object.keys(openaiRequest?.headers ?? {}).every((name) => name === name.toLowerCase())).toBe(true);
    expect(typeof openaiRequest?.receivedAt).toBe('number');
    expect(anthropicRequest).toMatchObject({ index: 1, path: '/v1/messages', wire: 'anthropic', stream: true });
    // @anthropic-ai/sdk 1.x sends the key as a bearer token, not x-api-key.
    expect(anthropicRequest?.headers['authorization']).toBe('Bearer sk-ant-test');
    expect(anthropicRequest?.headers['anthropic-version']).toBeDefined();
  });

  it('counts every attempt the SDK makes, so stacked retries show up as hits', async () => {
    const rateLimited: Fault = { type: 'status', status: 429, headers: { 'retry-after-ms': '1' } };
    await using server = await createTestServer({ script: [rateLimited, rateLimited] });
    const reply = await openaiFor(server, { maxRetries: 2 }).chat.completions.create({ model: MODEL, messages: USER_PROMPT });

    expect(reply.choices[0]?.message.content).toBe(DEFAULT_REPLY_TEXT);
    expect(server.hits).toBe(3);
    expect(server.requests.map((request) => request.headers['x-stainless-retry-count'])).toEqual(['0', '1', '2']);
  });

  it('maxRetries: 0 means exactly one hit per call', async () => {
    await using server = await createTestServer({ script: [{ type: 'status', status: 503 }] });
    await rejectionOf(openaiFor(server).chat.completions.create({ model: MODEL, messages: USER_PROMPT }));
    expect(server.hits).toBe(1);
  });

  it('does not record unknown routes and answers them 404', async () => {
    await using server = await createTestServer();
    const client = new OpenAI({ apiKey: 'sk-test', baseURL: server.url, maxRetries: 0 }); // forgot the /v1
    const error = await rejectionOf(client.chat.completions.create({ model: MODEL, messages: USER_PROMPT }));

    expect(error).toBeInstanceOf(OpenAI.NotFoundError);
    expect((error as Error).message).toContain('POST /chat/completions');
    expect(server.hits).toBe(0);
  });
});

describe('fault script', () => {
  it('takes one fault per request, then replies ok; script() replaces the queue', async () => {
    await using server = await createTestServer({ script: [{ type: 'status', status: 500 }] });
    const client = openaiFor(server);

    await rejectionOf(client.chat.completions.create({ model: MODEL, messages: USER_PROMPT }));
    await client.chat.completions.create({ model: MODEL, messages: USER_PROMPT });
    server.script([{ type: 'status', status: 429 }]);
    await rejectionOf(client.chat.completions.create({ model: MODEL, messages: USER_PROMPT }));
    await client.chat.completions.create({ model: MODEL, messages: USER_PROMPT });

    expect(server.requests.map((request) => request.fault?.type)).toEqual(['status', 'ok', 'status', 'ok']);
  });

  it('a function script picks a fault per request', async () => {
    await using server = await createTestServer({
      script: (request) => (request.index % 2 === 0 ? { type: 'status', status: 529 } : { type: 'ok', text: `reply ${request.index}` }),
    });
    const client = anthropicFor(server);
    const request = { model: 'claude-x', max_tokens: 8, messages: USER_PROMPT };

    expect(await rejectionOf(client.messages.create(request))).toMatchObject({ status: 529 });
    expect((await client.messages.create(request)).content).toEqual([expect.objectContaining({ text: 'reply 1' })]);
    expect(await rejectionOf(client.messages.create(request))).toMatchObject({ status: 529 });
  });

  it('the reply option sets the text deterministically, split into word deltas', async () => {
    await using server = await createTestServer({ reply: (request) => `Answer number ${request.index}.` });
    const stream = await openaiFor(server).chat.completions.create({ model: MODEL, messages: USER_PROMPT, stream: true });
    const { items } = await drain(stream);

    expect(items.map((chunk) => chunk.choices[0]?.delta.content).filter(Boolean)).toEqual(['Answer ', 'number ', '0.']);
  });

  it('one script serves both wires in arrival order', async () => {
    await using server = await createTestServer({ script: [{ type: 'status', status: 429 }, { type: 'status', status: 429 }] });
    const openaiError = await rejectionOf(openaiFor(server).chat.completions.create({ model: MODEL, messages: USER_PROMPT }));
    const anthropicError = await rejectionOf(
      anthropicFor(server).messages.create({ model: 'claude-x', max_tokens: 8, messages: USER_PROMPT }),
    );

    expect(openaiError).toMatchObject({ status: 429, code: 'rate_limit_exceeded' });
    expect(anthropicError).toMatchObject({ status: 429, type: 'rate_limit_error' });
  });
});

describe('lifecycle', () => {
  it('listens on 127.0.0.1 with a free port', async () => {
    await using server = await createTestServer();
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
    expect(server.port).toBeGreaterThan(0);
  });

  it('close() ends hung and stalled requests instead of waiting for them', async () => {
    // Concurrent requests arrive in any order, so the fault is chosen by model, not by position.
    const faults: Record<string, Fault> = {
      hung: { type: 'hang' },
      stalled: { type: 'stall-after', chunks: 1 },
      slow: { type: 'slow-headers', delayMs: 60_000 },
    };
    const server = await createTestServer({ script: (request) => faults[(request.body as { model: string }).model] ?? { type: 'ok' } });
    const client = openaiFor(server);
    const hung = rejectionOf(client.chat.completions.create({ model: 'hung', messages: USER_PROMPT }));
    const slow = rejectionOf(client.chat.completions.create({ model: 'slow', messages: USER_PROMPT }));
    let sawDelta = () => {};
    const streaming = new Promise<void>((resolve) => (sawDelta = resolve));
    const stalled = client.chat.completions
      .create({ model: 'stalled', messages: USER_PROMPT, stream: true })
      .then((stream) => drain(stream, (chunk) => chunk.choices[0]?.delta.content && sawDelta()));
    await streaming;
    await server.waitFor(() => server.hits === 3);

    await server.close();

    expect(await hung).toBeInstanceOf(OpenAI.APIConnectionError);
    expect(await slow).toBeInstanceOf(OpenAI.APIConnectionError);
    const { items, error } = await stalled;
    expect(items.map((chunk) => chunk.choices[0]?.delta.content)).toEqual(['', 'The ']);
    expect(error).toBeInstanceOf(TypeError);
    // The server ended them; the client did not abort.
    expect(server.requests.map((request) => request.aborted)).toEqual([false, false, false]);
  });

  it('close() is idempotent and rejects pending waitFor calls', async () => {
    const server = await createTestServer();
    const waiting = rejectionOf(server.waitFor(() => server.hits > 0));
    await Promise.all([server.close(), server.close()]);

    expect(await waiting).toBeInstanceOf(Error);
    await expect(fetch(`${server.url}/v1/chat/completions`, { method: 'POST' })).rejects.toThrow();
  });

  it('await using disposes the server at the end of the block', async () => {
    let url = '';
    {
      await using server = await createTestServer();
      url = server.url;
    }
    await expect(fetch(`${url}/v1/chat/completions`, { method: 'POST' })).rejects.toThrow();
  });

  it('the timer set resolves cancelled delays as false and forgets them', async () => {
    const timers = new TimerSet();
    const controller = new AbortController();
    const long = timers.delay(60_000, controller.signal);
    const short = timers.delay(0, controller.signal);

    expect(await short).toBe(true);
    expect(timers.size).toBe(1);
    timers.clearAll();
    expect(await long).toBe(false);
    expect(timers.size).toBe(0);
  });
});
