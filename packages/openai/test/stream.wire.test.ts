import { describe, expect, it, vi } from 'vitest';
import { createTestServer } from '@keel/testkit';
import { KeelError, type ProviderStreamPart } from '@keel/core';
import { REQUEST, callContext, collect, failure, providerFor, textOf } from './support.js';

const TEXT = 'One two three four five.';

describe('stream over the wire', () => {
  it('yields text deltas, then finish with the model, then usage (include_usage)', async () => {
    await using server = await createTestServer({
      script: [{ type: 'ok', text: TEXT, usage: { inputTokens: 9, outputTokens: 5 }, model: 'gpt-4o-mini-2024-07-18' }],
    });
    const parts = await collect(providerFor(server.url).stream(REQUEST, callContext()));
    expect(textOf(parts)).toBe(TEXT);
    expect(parts.filter((part) => part.type === 'text').length).toBeGreaterThan(1);
    const tail = parts.filter((part) => part.type !== 'text');
    expect(tail).toEqual([
      { type: 'finish', finishReason: 'stop', model: 'gpt-4o-mini-2024-07-18' },
      { type: 'usage', usage: { inputTokens: 9, outputTokens: 5 } },
    ]);
    expect(server.requests[0]?.stream).toBe(true);
    expect(server.requests[0]?.body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
  });

  it('keeps the caller stream_options while forcing include_usage', async () => {
    await using server = await createTestServer({ script: [] });
    const extra = { stream_options: { include_obfuscation: false } };
    await collect(providerFor(server.url).stream({ ...REQUEST, extra }, callContext()));
    expect(server.requests[0]?.body).toMatchObject({ stream_options: { include_obfuscation: false, include_usage: true } });
  });

  it('with includeRaw, hands each SDK chunk on after the parts derived from it (so Keel charges its text first)', async () => {
    await using server = await createTestServer({ script: [{ type: 'ok', text: TEXT }] });
    const parts = await collect(providerFor(server.url).stream({ ...REQUEST, includeRaw: true }, callContext()));
    const texts = parts.filter((part): part is Extract<ProviderStreamPart, { type: 'text' }> => part.type === 'text');
    const raws = parts.filter((part): part is Extract<ProviderStreamPart, { type: 'raw' }> => part.type === 'raw');
    // A chunk whose last part is its text delta rides on that part: one part, not a text and a raw.
    expect(texts.length).toBeGreaterThan(2);
    for (const text of texts) {
      expect(text.raw).toMatchObject({ object: 'chat.completion.chunk', choices: [{ delta: { content: text.text } }] });
    }
    // The role-only opening chunk, the finish chunk and the usage chunk come as raw parts of their
    // own, after whatever was derived from them, and carry no output.
    expect(raws.length).toBeGreaterThanOrEqual(2);
    for (const raw of raws) {
      expect(raw.chunk).toMatchObject({ object: 'chat.completion.chunk' });
      expect(raw.content).toBe(false);
    }
    expect(parts[0]?.type).toBe('raw');
    const finish = parts.findIndex((part) => part.type === 'finish');
    expect(parts[finish + 1]?.type).toBe('raw');
    const usage = parts.findIndex((part) => part.type === 'usage');
    expect(parts[usage + 1]).toMatchObject({ type: 'raw', chunk: { usage: expect.any(Object) } });
    expect(textOf(parts)).toBe(TEXT);
  });

  it('without includeRaw, yields no chunk at all', async () => {
    await using server = await createTestServer({ script: [{ type: 'ok', text: TEXT }] });
    const parts = await collect(providerFor(server.url).stream(REQUEST, callContext()));
    expect(parts.some((part) => part.type === 'raw' || (part.type === 'text' && part.raw !== undefined))).toBe(false);
    expect(textOf(parts)).toBe(TEXT);
  });

  it('ends normally when the finish chunk arrives but [DONE] never does', async () => {
    await using server = await createTestServer({ script: [{ type: 'no-done', finish: true }] });
    const parts = await collect(providerFor(server.url).stream(REQUEST, callContext()));
    expect(parts.some((part) => part.type === 'finish')).toBe(true);
  });

  it('throws truncated, with the partial text, when the stream ends without a finish reason', async () => {
    await using server = await createTestServer({ script: [{ type: 'no-done', finish: false }] });
    const received: string[] = [];
    const error = await failure(async () => {
      for await (const part of providerFor(server.url).stream(REQUEST, callContext())) {
        if (part.type === 'text') received.push(part.text);
      }
    });
    expect(error.kind).toBe('truncated');
    expect(error.partialText).toBe(received.join(''));
    expect(received.length).toBeGreaterThan(0);
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

  it('maps a data: {"error": …} event (APIError with no status) to a retryable server error', async () => {
    await using server = await createTestServer({
      script: [{ type: 'error-event', afterChunks: 1, errorType: 'server_error', message: 'The server had an error' }],
    });
    const error = await failure(() => collect(providerFor(server.url).stream(REQUEST, callContext())));
    expect(error.kind).toBe('server');
    expect(error.retryable).toBe(true);
    expect(error.status).toBeUndefined();
    expect(error.message).toContain('OpenAI stream error');
    expect(error.message).toContain('The server had an error');
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
