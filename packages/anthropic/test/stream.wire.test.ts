import { describe, expect, it, vi } from 'vitest';
import { createTestServer } from '@keel/testkit';
import { KeelError, type ProviderStreamPart } from '@keel/core';
import { REQUEST, callContext, collect, failure, providerFor, textOf } from './support.js';

const TEXT = 'One two three four five.';

type RawPart = Extract<ProviderStreamPart, { type: 'raw' }>;

describe('stream over the wire', () => {
  it('yields text deltas, then usage, then finish with the model', async () => {
    await using server = await createTestServer({
      script: [{ type: 'ok', text: TEXT, usage: { inputTokens: 9, outputTokens: 5 }, model: 'claude-sonnet-4-6-20260101' }],
    });
    const parts = await collect(providerFor(server.url).stream(REQUEST, callContext()));
    expect(textOf(parts)).toBe(TEXT);
    expect(parts.filter((part) => part.type === 'text').length).toBeGreaterThan(1);
    expect(parts.filter((part) => part.type !== 'text')).toEqual([
      { type: 'usage', usage: { inputTokens: 9, outputTokens: 5 } },
      { type: 'finish', finishReason: 'stop', model: 'claude-sonnet-4-6-20260101' },
    ]);
    expect(server.requests[0]?.stream).toBe(true);
    expect(server.requests[0]?.body).toMatchObject({ stream: true, max_tokens: 1024 });
  });

  it('sends system as the top-level parameter', async () => {
    await using server = await createTestServer({ script: [] });
    const request = { ...REQUEST, messages: [{ role: 'system', content: 'Be brief.' } as const, ...REQUEST.messages] };
    await collect(providerFor(server.url).stream(request, callContext()));
    expect(server.requests[0]?.body).toMatchObject({ system: 'Be brief.', messages: [{ role: 'user', content: 'Say something.' }] });
  });

  it('maps a max_tokens stop to finish length', async () => {
    await using server = await createTestServer({ script: [{ type: 'ok', finishReason: 'max_tokens' }] });
    const parts = await collect(providerFor(server.url).stream(REQUEST, callContext()));
    expect(parts.at(-1)).toMatchObject({ type: 'finish', finishReason: 'length' });
  });

  it('throws refusal for a refusal stop reason', async () => {
    await using server = await createTestServer({ script: [{ type: 'ok', finishReason: 'refusal' }] });
    const error = await failure(() => collect(providerFor(server.url).stream(REQUEST, callContext())));
    expect(error.kind).toBe('refusal');
  });

  it('with includeRaw, hands each SDK event on, text deltas on their text part (so Keel charges its text first)', async () => {
    await using server = await createTestServer({ script: [{ type: 'ok', text: TEXT }] });
    const parts = await collect(providerFor(server.url).stream({ ...REQUEST, includeRaw: true }, callContext()));
    const events = parts.flatMap((part) => (part.type === 'raw' ? [part.chunk] : part.type === 'text' && part.raw !== undefined ? [part.raw] : []));
    expect(events.map((event) => (event as { type: string }).type)).toEqual([
      'message_start',
      'content_block_start',
      ...Array<string>(5).fill('content_block_delta'),
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    // Each text part carries the delta event it came from; the other events carry no output.
    for (const part of parts) {
      if (part.type === 'text') expect(part.raw).toMatchObject({ type: 'content_block_delta', delta: { type: 'text_delta', text: part.text } });
      if (part.type === 'raw') expect(part.content).toBe(false);
    }
    expect(parts.filter((part): part is RawPart => part.type === 'raw')).toHaveLength(5);
    expect(textOf(parts)).toBe(TEXT);
  });

  it('ends normally when message_delta arrives but message_stop never does', async () => {
    await using server = await createTestServer({ script: [{ type: 'no-done', finish: true }] });
    const parts = await collect(providerFor(server.url).stream(REQUEST, callContext()));
    expect(parts.at(-1)).toMatchObject({ type: 'finish', finishReason: 'stop' });
  });

  it('throws truncated, with the partial text, when the stream ends without a stop reason', async () => {
    await using server = await createTestServer({ script: [{ type: 'no-done', finish: false }] });
    const received: string[] = [];
    const error = await failure(async () => {
      for await (const part of providerFor(server.url).stream(REQUEST, callContext())) {
        if (part.type === 'text') received.push(part.text);
      }
    });
    expect(error.kind).toBe('truncated');
    expect(received.length).toBeGreaterThan(0);
    expect(error.partialText).toBe(received.join(''));
  });

  it('maps an event: error (overloaded_error) mid-stream to a retryable overloaded error', async () => {
    await using server = await createTestServer({ script: [{ type: 'error-event', afterChunks: 2 }] });
    const received: ProviderStreamPart[] = [];
    const error = await failure(async () => {
      for await (const part of providerFor(server.url).stream(REQUEST, callContext())) received.push(part);
    });
    expect(error.kind).toBe('overloaded');
    expect(error.retryable).toBe(true);
    expect(error.status).toBeUndefined();
    expect(error.message).toBe('Anthropic stream error overloaded_error: Overloaded');
    expect(received.filter((part) => part.type === 'text')).toHaveLength(2);
    expect(server.hits).toBe(1);
  });

  it('maps an event: error of type api_error to a retryable server error', async () => {
    await using server = await createTestServer({
      script: [{ type: 'error-event', afterChunks: 1, errorType: 'api_error', message: 'Internal server error' }],
    });
    const error = await failure(() => collect(providerFor(server.url).stream(REQUEST, callContext())));
    expect(error.kind).toBe('server');
    expect(error.retryable).toBe(true);
  });

  it('maps a reset mid-stream to connection after the text already sent', async () => {
    await using server = await createTestServer({ script: [{ type: 'reset-after', chunks: 2 }] });
    const received: ProviderStreamPart[] = [];
    const error = await failure(async () => {
      for await (const part of providerFor(server.url).stream(REQUEST, callContext())) received.push(part);
    });
    expect(error.kind).toBe('connection');
    expect(received.filter((part) => part.type === 'text')).toHaveLength(2);
  });

  it('maps malformed SSE to a retryable server error', async () => {
    await using server = await createTestServer({ script: [{ type: 'malformed-sse', afterChunks: 1 }] });
    const error = await failure(() => collect(providerFor(server.url).stream(REQUEST, callContext())));
    expect(error.kind).toBe('server');
    expect(error.retryable).toBe(true);
    expect(error.message).toMatch(/malformed/i);
  });

  it('breaking out early aborts the upstream request', async () => {
    await using server = await createTestServer({ script: [{ type: 'ok', text: TEXT, chunkDelayMs: 200 }] });
    for await (const part of providerFor(server.url).stream(REQUEST, callContext())) {
      if (part.type === 'text') break;
    }
    await vi.waitFor(() => expect(server.requests[0]?.aborted).toBe(true));
  });

  it('aborting the signal on a stalled stream aborts the request and throws aborted', async () => {
    await using server = await createTestServer({ script: [{ type: 'stall-after', chunks: 1 }] });
    const controller = new AbortController();
    const received: string[] = [];
    const error = await failure(async () => {
      for await (const part of providerFor(server.url).stream(REQUEST, callContext(controller.signal))) {
        if (part.type === 'text') {
          received.push(part.text);
          controller.abort();
        }
      }
    });
    expect(error.kind).toBe('aborted');
    expect(received).toHaveLength(1);
    await vi.waitFor(() => expect(server.requests[0]?.aborted).toBe(true));
  });

  it('a stall cut by Keel (stream-idle timeout) throws the timeout KeelError itself', async () => {
    await using server = await createTestServer({ script: [{ type: 'stall-after', chunks: 1 }] });
    const controller = new AbortController();
    const reason = new KeelError('timeout', 'stream idle for 50ms');
    setTimeout(() => controller.abort(reason), 100);
    const error = await failure(() => collect(providerFor(server.url).stream(REQUEST, callContext(controller.signal))));
    expect(error).toBe(reason);
    await vi.waitFor(() => expect(server.requests[0]?.aborted).toBe(true));
  });

  it('a slow first token cut by the signal aborts the request', async () => {
    await using server = await createTestServer({ script: [{ type: 'slow-first-token', delayMs: 5_000 }] });
    const controller = new AbortController();
    setTimeout(() => controller.abort(new KeelError('timeout', 'no first token in 100ms')), 100);
    const error = await failure(() => collect(providerFor(server.url).stream(REQUEST, callContext(controller.signal))));
    expect(error.kind).toBe('timeout');
    await vi.waitFor(() => expect(server.requests[0]?.aborted).toBe(true));
  });
});
