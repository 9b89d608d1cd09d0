import { KeelError, type CallContext, type ProviderRequest, type ProviderStreamPart } from '@keel/core';
import { describe, expect, it } from 'vitest';
import { createFakeClock, createScriptedProvider, DEFAULT_REPLY_TEXT } from '../src/index.js';
import { drain, rejectionOf } from './helpers.js';

const REQUEST: ProviderRequest = { model: 'test-model', messages: [{ role: 'user', content: 'Twelve chars' }] };

function contextWith(signal: AbortSignal = new AbortController().signal, attempt = 1): CallContext {
  return { signal, deadline: Number.MAX_SAFE_INTEGER, attempt };
}

function texts(parts: readonly ProviderStreamPart[]): string[] {
  return parts.flatMap((part) => (part.type === 'text' ? [part.text] : []));
}

describe('createScriptedProvider: chat', () => {
  it('plays steps in order, then replies with the default text, recording every call', async () => {
    const rateLimited = new KeelError('rate_limited', 'Slow down', { status: 429 });
    const provider = createScriptedProvider({ id: 'fake', steps: [{ error: rateLimited }, { text: 'Hello there', finishReason: 'length' }] });

    expect(await rejectionOf(provider.chat(REQUEST, contextWith()))).toBe(rateLimited);
    expect(await provider.chat(REQUEST, contextWith(undefined, 2))).toEqual({
      text: 'Hello there',
      finishReason: 'length',
      usage: { inputTokens: 3, outputTokens: 2 },
      model: 'test-model',
    });
    expect((await provider.chat(REQUEST, contextWith(undefined, 3))).text).toBe(DEFAULT_REPLY_TEXT);
    expect(provider.id).toBe('fake');
    expect(provider.calls.map((call) => [call.method, call.context.attempt])).toEqual([
      ['chat', 1],
      ['chat', 2],
      ['chat', 3],
    ]);
    expect(provider.calls[0]?.request).toBe(REQUEST);
  });

  it('a step function sees the request, context and call index', async () => {
    const provider = createScriptedProvider({ steps: (request, context, index) => ({ text: `${request.model}#${index}@${context.attempt}` }) });
    expect((await provider.chat(REQUEST, contextWith(undefined, 4))).text).toBe('test-model#0@4');
    expect((await provider.chat(REQUEST, contextWith())).text).toBe('test-model#1@1');
  });

  it('delays run on the injected clock, so a fake clock makes them instant', async () => {
    const clock = createFakeClock();
    const provider = createScriptedProvider({ clock, steps: [{ text: 'late', delayMs: 30_000 }] });
    expect((await provider.chat(REQUEST, contextWith())).text).toBe('late');
    expect(clock.sleeps).toEqual([30_000]);
  });

  it('usage: null omits usage; includeRaw attaches a raw object', async () => {
    const provider = createScriptedProvider({ steps: [{ text: 'x', usage: null }] });
    const response = await provider.chat({ ...REQUEST, includeRaw: true }, contextWith());
    expect(response.usage).toBeUndefined();
    expect(response.raw).toEqual({ text: 'x' });
  });

  it('hang resolves only on abort, throwing a KeelError reason as is', async () => {
    const provider = createScriptedProvider({ steps: [{ hang: true }] });
    const controller = new AbortController();
    const pending = rejectionOf(provider.chat(REQUEST, contextWith(controller.signal)));
    const timeout = new KeelError('timeout', 'Attempt timed out');
    controller.abort(timeout);
    expect(await pending).toBe(timeout);
  });

  it('maps a plain abort to kind aborted and AbortSignal.timeout() to kind timeout', async () => {
    const provider = createScriptedProvider({ steps: [{ hang: true }, { hang: true }] });
    const controller = new AbortController();
    const aborted = rejectionOf(provider.chat(REQUEST, contextWith(controller.signal)));
    controller.abort();
    expect(await aborted).toMatchObject({ kind: 'aborted', provider: 'scripted' });

    const timedOut = await rejectionOf(provider.chat(REQUEST, contextWith(AbortSignal.timeout(1))));
    expect(timedOut).toMatchObject({ kind: 'timeout', retryable: true });
    expect(KeelError.is(timedOut)).toBe(true);
  });

  it('an already-aborted signal fails before any step work, but the call is still recorded', async () => {
    const provider = createScriptedProvider({ steps: [{ text: 'never' }] });
    const controller = new AbortController();
    controller.abort();
    expect(await rejectionOf(provider.chat(REQUEST, contextWith(controller.signal)))).toMatchObject({ kind: 'aborted' });
    expect(provider.calls).toHaveLength(1);
  });

  it('chat on a stream step returns the joined text, or its failure', async () => {
    const cut = new KeelError('connection', 'reset');
    const provider = createScriptedProvider({ steps: [{ stream: ['a', 'b'] }, { stream: ['a', 'b'], failAfter: 1, error: cut }] });
    expect((await provider.chat(REQUEST, contextWith())).text).toBe('ab');
    expect(await rejectionOf(provider.chat(REQUEST, contextWith()))).toBe(cut);
  });
});

describe('createScriptedProvider: stream', () => {
  it('yields text parts, then usage, then finish', async () => {
    const provider = createScriptedProvider({ steps: [{ stream: ['Hel', 'lo'], finishReason: 'stop', model: 'served-model' }] });
    const { items, error } = await drain(provider.stream(REQUEST, contextWith()));

    expect(error).toBeUndefined();
    expect(items).toEqual([
      { type: 'text', text: 'Hel' },
      { type: 'text', text: 'lo' },
      { type: 'usage', usage: { inputTokens: 3, outputTokens: 2 } },
      { type: 'finish', finishReason: 'stop', model: 'served-model' },
    ]);
    expect(provider.calls[0]?.method).toBe('stream');
  });

  it('streams a text step word by word and emits a raw part after each text part when asked', async () => {
    const provider = createScriptedProvider({ steps: [{ text: 'one two' }] });
    const { items } = await drain(provider.stream({ ...REQUEST, includeRaw: true }, contextWith()));
    expect(items.slice(0, 4)).toEqual([
      { type: 'text', text: 'one ' },
      { type: 'raw', chunk: { text: 'one ' }, content: true },
      { type: 'text', text: 'two' },
      { type: 'raw', chunk: { text: 'two' }, content: true },
    ]);
  });

  it('failAfter throws the step error after N parts (a connection error by default)', async () => {
    const overloaded = new KeelError('overloaded', 'busy');
    const provider = createScriptedProvider({ steps: [{ stream: ['a', 'b', 'c'], failAfter: 2, error: overloaded }, { stream: ['a'], failAfter: 0 }] });

    const first = await drain(provider.stream(REQUEST, contextWith()));
    expect(texts(first.items)).toEqual(['a', 'b']);
    expect(first.error).toBe(overloaded);

    const second = await drain(provider.stream(REQUEST, contextWith()));
    expect(second.items).toEqual([]);
    expect(second.error).toMatchObject({ kind: 'connection', retryable: true });
  });

  it('stallAfter yields N parts, then waits for the abort and throws its reason', async () => {
    const provider = createScriptedProvider({ steps: [{ stream: ['a', 'b', 'c'], stallAfter: 1 }] });
    const controller = new AbortController();
    const idle = new KeelError('timeout', 'Stream idle');
    const { items, error } = await drain(provider.stream(REQUEST, contextWith(controller.signal)), () => controller.abort(idle));

    expect(texts(items)).toEqual(['a']);
    expect(error).toBe(idle);
  });

  it('firstTokenDelayMs waits on the clock before the first part; an abort during it throws', async () => {
    const clock = createFakeClock();
    const controller = new AbortController();
    clock.setTimer(() => controller.abort(new KeelError('timeout', 'No first token')), 1_000);
    const provider = createScriptedProvider({ clock, steps: [{ stream: ['a'], firstTokenDelayMs: 5_000 }, { stream: ['a', 'b'], firstTokenDelayMs: 10, chunkDelayMs: 20 }] });

    const slow = await drain(provider.stream(REQUEST, contextWith(controller.signal)));
    expect(slow.items).toEqual([]);
    expect(slow.error).toMatchObject({ kind: 'timeout', message: 'No first token' });

    const paced = await drain(provider.stream(REQUEST, contextWith()));
    expect(texts(paced.items)).toEqual(['a', 'b']);
    expect(clock.sleeps).toEqual([5_000, 10, 20]);
  });

  it('error and hang steps fail a stream the same way as chat', async () => {
    const auth = new KeelError('auth', 'bad key');
    const provider = createScriptedProvider({ steps: [{ error: auth }, { hang: true }] });
    expect((await drain(provider.stream(REQUEST, contextWith()))).error).toBe(auth);

    const controller = new AbortController();
    const hung = drain(provider.stream(REQUEST, contextWith(controller.signal)));
    controller.abort();
    expect((await hung).error).toMatchObject({ kind: 'aborted' });
  });

  it('records the call when stream() is called, before iteration starts', () => {
    const provider = createScriptedProvider();
    provider.stream(REQUEST, contextWith());
    expect(provider.calls).toHaveLength(1);
  });
});
