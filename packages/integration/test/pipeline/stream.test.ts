import { createFakeClock, createScriptedProvider } from '@keel/testkit';
import { describe, expect, it } from 'vitest';
import { KeelError, type StreamEvent } from '@keel/core';
import { failure, keelWith, user } from './helpers.js';

async function collect(iterable: AsyncIterable<StreamEvent>) {
  const events: StreamEvent[] = [];
  try {
    for await (const event of iterable) events.push(event);
    return { events, error: undefined };
  } catch (error) {
    return { events, error: error as KeelError };
  }
}

const texts = (events: StreamEvent[]) => events.flatMap((e) => (e.type === 'text' ? [e.text] : []));

describe('streaming through the pipeline', () => {
  it('streams text, usage and a finish result with time to first token', async () => {
    const provider = createScriptedProvider({ steps: [{ stream: ['Hel', 'lo'], usage: { inputTokens: 3, outputTokens: 2 } }] });
    const { keel, events } = keelWith(provider);
    const { events: out, error } = await collect(keel.stream({ feature: 'f', messages: user() }));
    expect(error).toBeUndefined();
    expect(texts(out)).toEqual(['Hel', 'lo']);
    const finish = out.at(-1);
    expect(finish?.type).toBe('finish');
    if (finish?.type !== 'finish') throw new Error('unreachable');
    expect(finish.result).toMatchObject({ text: 'Hello', finishReason: 'stop', usage: { inputTokens: 3, outputTokens: 2 }, provider: 'scripted', model: 'm' });
    expect(finish.result.ttftMs).toBeGreaterThanOrEqual(0);
    expect(events.map((e) => e.type)).toEqual(['call.started', 'attempt.started', 'attempt.succeeded', 'stream.first_token', 'call.finished']);
    keel.close();
  });

  it('retries a fault before the first token invisibly', async () => {
    const clock = createFakeClock();
    const provider = createScriptedProvider({
      clock,
      steps: [{ error: new KeelError('overloaded', 'busy', { status: 529 }) }, { stream: ['a', 'b'], failAfter: 0 }, { stream: ['a', 'b', 'c'] }],
    });
    const { keel } = keelWith(provider, {}, { clock });
    const { events, error } = await collect(keel.stream({ feature: 'f', messages: user() }));
    expect(error).toBeUndefined();
    expect(texts(events)).toEqual(['a', 'b', 'c']);
    const finish = events.at(-1);
    expect(finish?.type === 'finish' && finish.result.attempts.map((a) => a.outcome)).toEqual(['overloaded', 'connection', 'ok']);
    keel.close();
  });

  it('a cut after the first token is a typed error carrying the partial text, never a short success', async () => {
    const provider = createScriptedProvider({ steps: [{ stream: ['one ', 'two ', 'three'], failAfter: 2 }, { text: 'must not be retried' }] });
    const { keel } = keelWith(provider);
    const { events, error } = await collect(keel.stream({ feature: 'f', messages: user() }));
    expect(texts(events)).toEqual(['one ', 'two ']);
    expect(events.some((e) => e.type === 'finish')).toBe(false);
    expect(error).toBeInstanceOf(KeelError);
    expect(error).toMatchObject({ kind: 'connection', retryable: false, partialText: 'one two ' });
    expect(provider.calls).toHaveLength(1);
    keel.close();
  });

  it('a stream that ends without a finish is truncated', async () => {
    const provider = createScriptedProvider({
      steps: () => ({ stream: ['x', 'y'] }),
    });
    // Drop the finish part: wrap the scripted provider's stream.
    const { keel } = keelWith({
      ...provider,
      id: 'scripted',
      async *stream(request, context) {
        for await (const part of provider.stream(request, context)) if (part.type !== 'finish') yield part;
      },
    });
    await expect(keel.stream({ feature: 'f', messages: user() }).text()).rejects.toMatchObject({ kind: 'truncated', partialText: 'xy' });
    keel.close();
  });

  it('a slow first token trips the time-to-first-token timeout, and is retried', async () => {
    const clock = createFakeClock();
    const provider = createScriptedProvider({ clock, steps: [{ stream: ['late'], firstTokenDelayMs: 5_000 }, { stream: ['on ', 'time'] }] });
    const { keel } = keelWith(provider, { timeouts: { firstTokenMs: 1_000 } }, { clock });
    const result = await keel.stream({ feature: 'f', messages: user() }).result();
    expect(result.text).toBe('on time');
    expect(result.attempts[0]).toMatchObject({ outcome: 'timeout' });
    expect(provider.calls[0]!.context.signal.aborted).toBe(true);
    keel.close();
  });

  it('when every attempt is slow, the error is a timeout and nothing was yielded', async () => {
    const clock = createFakeClock();
    const provider = createScriptedProvider({ clock, steps: () => ({ stream: ['late'], firstTokenDelayMs: 5_000 }) });
    const { keel } = keelWith(provider, { timeouts: { firstTokenMs: 1_000 }, retry: { maxAttempts: 2 } }, { clock });
    const { events, error } = await collect(keel.stream({ feature: 'f', messages: user() }));
    expect(events).toEqual([]);
    expect(error).toMatchObject({ kind: 'timeout' });
    expect(error?.message).toMatch(/first token/);
    keel.close();
  });

  it('a stall after the first token trips the idle timeout and aborts the upstream request', async () => {
    const clock = createFakeClock();
    const provider = createScriptedProvider({ clock, steps: [{ stream: ['a', 'b', 'c'], stallAfter: 2 }] });
    const { keel } = keelWith(provider, { timeouts: { idleMs: 2_000 } }, { clock });
    const iterator = keel.stream({ feature: 'f', messages: user() })[Symbol.asyncIterator]();
    expect((await iterator.next()).value).toEqual({ type: 'text', text: 'a' });
    expect((await iterator.next()).value).toEqual({ type: 'text', text: 'b' });
    const stalled = iterator.next();
    await new Promise((resolve) => setImmediate(resolve));
    clock.advance(1_999);
    clock.advance(1);
    await expect(stalled).rejects.toMatchObject({ kind: 'timeout', partialText: 'ab', retryable: false });
    expect(provider.calls[0]!.context.signal.aborted).toBe(true);
    keel.close();
  });

  it('idle is provider silence: a consumer taking 400 ms per part with idleMs 300 reads the whole stream', async () => {
    const clock = createFakeClock();
    const provider = createScriptedProvider({ clock, steps: [{ stream: ['a', 'b', 'c', 'd'] }] });
    const { keel } = keelWith(provider, { timeouts: { idleMs: 300 } }, { clock });
    const seen: string[] = [];
    for await (const event of keel.stream({ feature: 'f', messages: user() })) {
      if (event.type !== 'text') continue;
      seen.push(event.text);
      clock.advance(400); // the consumer's own work on this part, with the provider's reply already in
    }
    expect(seen).toEqual(['a', 'b', 'c', 'd']);
    expect(clock.elapsed()).toBe(1_600);
    expect(provider.calls[0]!.context.signal.aborted).toBe(false);
    keel.close();
  });

  it('provider and consumer time do not add up: 200 ms of each per part with idleMs 300 succeeds', async () => {
    const clock = createFakeClock();
    const provider = createScriptedProvider({ clock, steps: [{ stream: ['a', 'b', 'c'], chunkDelayMs: 200 }] });
    const { keel } = keelWith(provider, { timeouts: { idleMs: 300 } }, { clock });
    const seen: string[] = [];
    for await (const event of keel.stream({ feature: 'f', messages: user() })) {
      if (event.type !== 'text') continue;
      seen.push(event.text);
      clock.advance(200);
    }
    expect(seen).toEqual(['a', 'b', 'c']);
    keel.close();
  });

  it('a provider slower than idleMs between parts trips the idle timeout, even with a fast consumer', async () => {
    const clock = createFakeClock();
    const provider = createScriptedProvider({ clock, steps: [{ stream: ['a', 'b', 'c'], chunkDelayMs: 400 }] });
    const { keel } = keelWith(provider, { timeouts: { idleMs: 300 } }, { clock });
    const { events, error } = await collect(keel.stream({ feature: 'f', messages: user() }));
    expect(texts(events)).toEqual(['a']);
    expect(error).toMatchObject({ kind: 'timeout', partialText: 'a', retryable: false, message: expect.stringMatching(/idle/) });
    expect(provider.calls[0]!.context.signal.aborted).toBe(true);
    keel.close();
  });

  it("the total deadline includes the consumer's time: a slow consumer is cut at totalMs", async () => {
    const clock = createFakeClock();
    const provider = createScriptedProvider({ clock, steps: [{ stream: ['a', 'b', 'c', 'd'] }] });
    const { keel } = keelWith(provider, { timeouts: { idleMs: 300, totalMs: 1_000 } }, { clock });
    const seen: string[] = [];
    const error = await failure(
      (async () => {
        for await (const event of keel.stream({ feature: 'f', messages: user() })) {
          if (event.type !== 'text') continue;
          seen.push(event.text);
          clock.advance(400);
        }
      })(),
    );
    expect(seen).toEqual(['a', 'b', 'c']);
    expect(error).toMatchObject({ kind: 'timeout', partialText: 'abc', retryable: false, message: expect.stringMatching(/deadline/) });
    expect(provider.calls[0]!.context.signal.aborted).toBe(true);
    keel.close();
  });

  it('a caller who stops iterating aborts the upstream request', async () => {
    const provider = createScriptedProvider({ steps: [{ stream: ['a', 'b', 'c', 'd'] }] });
    const { keel, events } = keelWith(provider);
    for await (const event of keel.stream({ feature: 'f', messages: user() })) {
      if (event.type === 'text') break;
    }
    expect(provider.calls[0]!.context.signal.aborted).toBe(true);
    expect(events.at(-1)).toMatchObject({ type: 'call.finished', outcome: 'aborted' });
    keel.close();
  });

  it("a caller's abort mid-stream ends it as aborted with the partial text", async () => {
    const provider = createScriptedProvider({ steps: [{ stream: ['a', 'b', 'c'], stallAfter: 1 }] });
    const { keel } = keelWith(provider);
    const controller = new AbortController();
    const iterator = keel.stream({ feature: 'f', messages: user(), signal: controller.signal })[Symbol.asyncIterator]();
    await iterator.next();
    const pending = iterator.next();
    controller.abort();
    await expect(pending).rejects.toMatchObject({ kind: 'aborted', partialText: 'a' });
    keel.close();
  });

  it('is read once, and offers text() and a web ReadableStream', async () => {
    const provider = createScriptedProvider({ steps: [{ stream: ['x', 'y'] }, { stream: ['p', 'q'] }] });
    const { keel } = keelWith(provider);
    const stream = keel.stream({ feature: 'f', messages: user() });
    expect(await stream.text()).toBe('xy');
    await expect(stream.text()).rejects.toMatchObject({ kind: 'bad_request' });
    const chunks: string[] = [];
    const reader = keel.stream({ feature: 'f', messages: user() }).toReadableStream().getReader();
    for (let step = await reader.read(); !step.done; step = await reader.read()) chunks.push(step.value);
    expect(chunks).toEqual(['p', 'q']);
    keel.close();
  });

  it('bad input throws at once and sends nothing', () => {
    const provider = createScriptedProvider();
    const { keel } = keelWith(provider);
    expect(() => keel.stream({ feature: 'f', messages: [] })).toThrow(KeelError);
    expect(provider.calls).toHaveLength(0);
    keel.close();
  });
});
