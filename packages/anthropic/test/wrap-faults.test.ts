import { describe, expect, it } from 'vitest';
import Anthropic from '@anthropic-ai/sdk';
import type { RawMessageStreamEvent } from '@anthropic-ai/sdk/resources/messages';
import { createTestServer, DEFAULT_REPLY_TEXT, type Fault } from '@keel/testkit';
import { wrapAnthropic } from '../src/index.js';
import { CANARY_KEY, failure } from './support.js';

const BODY = { model: 'claude-sonnet-4-6', max_tokens: 256, messages: [{ role: 'user' as const, content: 'Say something.' }] };

/** The user's client as they build it (SDK retries on): the wrapper must turn them off. */
function wrappedClient(url: string) {
  return wrapAnthropic(new Anthropic({ apiKey: CANARY_KEY, baseURL: url }), {
    feature: 'support',
    defaults: { retry: { maxAttempts: 4, baseDelayMs: 1, maxDelayMs: 2 }, timeouts: { idleMs: 200 } },
  });
}

const deltaText = (event: RawMessageStreamEvent): string =>
  event.type === 'content_block_delta' && event.delta.type === 'text_delta' ? event.delta.text : '';

async function textOf(stream: AsyncIterable<RawMessageStreamEvent>, seen: string[] = []): Promise<string> {
  for await (const event of stream) seen.push(deltaText(event));
  return seen.join('');
}

const BEFORE_FIRST_TOKEN: Fault[] = [{ type: 'status', status: 500 }, { type: 'status', status: 529 }, { type: 'reset' }];

describe('wrapAnthropic: faults before the first token are retried invisibly', () => {
  it('returns the normal Message after a 500, a 529 and a reset', async () => {
    await using server = await createTestServer({ script: BEFORE_FIRST_TOKEN });
    const message = await wrappedClient(server.url).messages.create(BODY);
    expect(message.content).toStrictEqual([{ type: 'text', text: DEFAULT_REPLY_TEXT }]);
    expect(server.hits).toBe(4);
  });

  it('streams the whole answer after a 500, a 529 and a reset', async () => {
    await using server = await createTestServer({ script: BEFORE_FIRST_TOKEN });
    const stream = await wrappedClient(server.url).messages.create({ ...BODY, stream: true });
    expect(await textOf(stream)).toBe(DEFAULT_REPLY_TEXT);
    expect(server.hits).toBe(4);
  });

  it('retries an error event that comes before any output', async () => {
    await using server = await createTestServer({ script: [{ type: 'error-event', afterChunks: 0 }] });
    const stream = await wrappedClient(server.url).messages.create({ ...BODY, stream: true });
    expect(await textOf(stream)).toBe(DEFAULT_REPLY_TEXT);
    expect(server.hits).toBe(2);
  });
});

describe('wrapAnthropic: a stream cut after its first token throws, with the partial text', () => {
  it.each([
    ['reset-after', { type: 'reset-after', chunks: 3 }, 'connection', 'The quick brown '],
    ['error event', { type: 'error-event', afterChunks: 2 }, 'overloaded', 'The quick '],
    ['stall (idle timeout)', { type: 'stall-after', chunks: 2 }, 'timeout', 'The quick '],
  ] as const)('%s', async (_name, fault, kind, partialText) => {
    await using server = await createTestServer({ script: [fault] });
    const stream = await wrappedClient(server.url).messages.create({ ...BODY, stream: true });
    const seen: string[] = [];
    const error = await failure(() => textOf(stream, seen));

    expect(error).toMatchObject({ kind, partialText, retryable: false });
    expect(seen.join('')).toBe(partialText);
    expect(server.hits).toBe(1);
    if (fault.type === 'stall-after') await server.waitFor(() => server.requests[0]?.aborted === true);
  });
});

describe('wrapAnthropic: errors', () => {
  it('a 401 throws KeelError auth after one request (JSON and stream)', async () => {
    await using server = await createTestServer({ script: [{ type: 'status', status: 401 }, { type: 'status', status: 401 }] });
    const wrapped = wrappedClient(server.url);
    const error = await failure(() => wrapped.messages.create(BODY));
    expect(error).toMatchObject({ kind: 'auth', status: 401, provider: 'anthropic', model: 'claude-sonnet-4-6' });
    expect(error.cause).toMatchObject({ status: 401 });
    expect(server.hits).toBe(1);

    const streamError = await failure(() => wrapped.messages.create({ ...BODY, stream: true }));
    expect(streamError.kind).toBe('auth');
    expect(server.hits).toBe(2);
  });
});

describe('wrapAnthropic: stopping a stream', () => {
  it('stream.controller.abort() ends the iteration quietly, like the SDK, and cancels the request', async () => {
    await using server = await createTestServer({ script: [{ type: 'ok', chunkDelayMs: 20 }] });
    const stream = await wrappedClient(server.url).messages.create({ ...BODY, stream: true });
    const seen: string[] = [];
    for await (const event of stream) {
      seen.push(deltaText(event));
      if (seen.join('').includes('quick')) stream.controller.abort();
    }
    expect(seen.join('')).not.toBe(DEFAULT_REPLY_TEXT);
    await server.waitFor(() => server.requests[0]?.aborted === true);
  });

  it('break cancels the request', async () => {
    await using server = await createTestServer({ script: [{ type: 'ok', chunkDelayMs: 20 }] });
    const stream = await wrappedClient(server.url).messages.create({ ...BODY, stream: true });
    for await (const event of stream) if (deltaText(event)) break;
    await server.waitFor(() => server.requests[0]?.aborted === true);
  });

  it('the request signal aborts a JSON call with KeelError aborted', async () => {
    await using server = await createTestServer({ script: [{ type: 'hang' }] });
    const controller = new AbortController();
    const pending = wrappedClient(server.url).messages.create(BODY, { signal: controller.signal });
    await server.waitFor(() => server.hits === 1);
    controller.abort();
    expect((await failure(() => pending)).kind).toBe('aborted');
    await server.waitFor(() => server.requests[0]?.aborted === true);
  });
});
