import { describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import type { ChatCompletionChunk } from 'openai/resources/chat/completions';
import { KeelError } from '@keel/core';
import { createTestServer, DEFAULT_REPLY_TEXT, type Fault } from '@keel/testkit';
import { wrapOpenAI } from '../src/index.js';
import { CANARY_KEY, failure } from './support.js';

const BODY = { model: 'gpt-4o-mini', messages: [{ role: 'user' as const, content: 'Say something.' }] };

/** The user's client as they build it (SDK retries on): the wrapper must turn them off. */
function wrappedClient(url: string) {
  return wrapOpenAI(new OpenAI({ apiKey: CANARY_KEY, baseURL: `${url}/v1` }), {
    feature: 'support',
    defaults: { retry: { maxAttempts: 4, baseDelayMs: 1, maxDelayMs: 2 }, timeouts: { idleMs: 200 } },
  });
}

async function textOf(stream: AsyncIterable<ChatCompletionChunk>, seen: string[] = []): Promise<string> {
  for await (const chunk of stream) seen.push(chunk.choices[0]?.delta.content ?? '');
  return seen.join('');
}

const BEFORE_FIRST_TOKEN: Fault[] = [{ type: 'status', status: 500 }, { type: 'status', status: 529 }, { type: 'reset' }];

describe('wrapOpenAI: faults before the first token are retried invisibly', () => {
  it('returns the normal completion after a 500, a 529 and a reset', async () => {
    await using server = await createTestServer({ script: BEFORE_FIRST_TOKEN });
    const completion = await wrappedClient(server.url).chat.completions.create(BODY);
    expect(completion.choices[0]?.message.content).toBe(DEFAULT_REPLY_TEXT);
    expect(server.hits).toBe(4);
  });

  it('streams the whole answer after a 500, a 529 and a reset', async () => {
    await using server = await createTestServer({ script: BEFORE_FIRST_TOKEN });
    const stream = await wrappedClient(server.url).chat.completions.create({ ...BODY, stream: true });
    expect(await textOf(stream)).toBe(DEFAULT_REPLY_TEXT);
    expect(server.hits).toBe(4);
  });
});

describe('wrapOpenAI: a stream cut after its first token throws, with the partial text', () => {
  it.each([
    ['reset-after', { type: 'reset-after', chunks: 3 }, 'connection', 'The quick brown '],
    ['error-event', { type: 'error-event', afterChunks: 2 }, 'server', 'The quick '],
    ['stall (idle timeout)', { type: 'stall-after', chunks: 2 }, 'timeout', 'The quick '],
  ] as const)('%s', async (_name, fault, kind, partialText) => {
    await using server = await createTestServer({ script: [fault] });
    const stream = await wrappedClient(server.url).chat.completions.create({ ...BODY, stream: true });
    const seen: string[] = [];
    const error = await failure(() => textOf(stream, seen));

    expect(error).toMatchObject({ kind, partialText, retryable: false });
    expect(seen.join('')).toBe(partialText);
    expect(server.hits).toBe(1);
    if (fault.type === 'stall-after') await server.waitFor(() => server.requests[0]?.aborted === true);
  });
});

describe('wrapOpenAI: errors', () => {
  it('a 401 throws KeelError auth after one request (JSON and stream)', async () => {
    await using server = await createTestServer({ script: [{ type: 'status', status: 401 }, { type: 'status', status: 401 }] });
    const wrapped = wrappedClient(server.url);
    const error = await failure(() => wrapped.chat.completions.create(BODY));
    expect(error).toMatchObject({ kind: 'auth', status: 401, provider: 'openai', model: 'gpt-4o-mini' });
    expect(error.cause).toMatchObject({ status: 401 });
    expect(server.hits).toBe(1);

    // A stream's pre-output failure rejects `create()` itself, like the SDK's HTTP errors.
    const streamError = await failure(() => wrapped.chat.completions.create({ ...BODY, stream: true }));
    expect(streamError.kind).toBe('auth');
    expect(server.hits).toBe(2);
  });

  it('gives up with the last error once the attempts are spent', async () => {
    await using server = await createTestServer({ script: Array<Fault>(4).fill({ type: 'status', status: 503 }) });
    const error = await failure(() => wrappedClient(server.url).chat.completions.create(BODY));
    expect(error.kind).toBe('overloaded');
    expect(error.attempts).toHaveLength(4);
    expect(server.hits).toBe(4);
  });
});

describe('wrapOpenAI: stopping a stream', () => {
  it('stream.controller.abort() ends the iteration quietly, like the SDK, and cancels the request', async () => {
    await using server = await createTestServer({ script: [{ type: 'ok', chunkDelayMs: 20 }] });
    const stream = await wrappedClient(server.url).chat.completions.create({ ...BODY, stream: true });
    const seen: string[] = [];
    for await (const chunk of stream) {
      seen.push(chunk.choices[0]?.delta.content ?? '');
      if (seen.join('').includes('quick')) stream.controller.abort();
    }
    expect(seen.join('')).not.toBe(DEFAULT_REPLY_TEXT);
    await server.waitFor(() => server.requests[0]?.aborted === true);
  });

  it('the request signal aborts a stream too', async () => {
    await using server = await createTestServer({ script: [{ type: 'ok', chunkDelayMs: 20 }] });
    const controller = new AbortController();
    const stream = await wrappedClient(server.url).chat.completions.create({ ...BODY, stream: true }, { signal: controller.signal });
    for await (const chunk of stream) if (chunk.choices[0]?.delta.content === 'quick ') controller.abort();
    await server.waitFor(() => server.requests[0]?.aborted === true);
  });

  it('aborting before reading yields nothing and cancels the request', async () => {
    await using server = await createTestServer({ script: [{ type: 'ok', chunkDelayMs: 20 }] });
    const stream = await wrappedClient(server.url).chat.completions.create({ ...BODY, stream: true });
    stream.controller.abort();
    expect(await textOf(stream)).toBe('');
    await server.waitFor(() => server.requests[0]?.aborted === true);
  });

  it('break cancels the request', async () => {
    await using server = await createTestServer({ script: [{ type: 'ok', chunkDelayMs: 20 }] });
    const stream = await wrappedClient(server.url).chat.completions.create({ ...BODY, stream: true });
    for await (const chunk of stream) if (chunk.choices[0]?.delta.content) break;
    await server.waitFor(() => server.requests[0]?.aborted === true);
  });

  it('the request signal aborts a JSON call with KeelError aborted', async () => {
    await using server = await createTestServer({ script: [{ type: 'hang' }] });
    const controller = new AbortController();
    const pending = wrappedClient(server.url).chat.completions.create(BODY, { signal: controller.signal });
    await server.waitFor(() => server.hits === 1);
    controller.abort();
    const error = await failure(() => pending);
    expect(KeelError.is(error) && error.kind).toBe('aborted');
    await server.waitFor(() => server.requests[0]?.aborted === true);
  });
});
