/**
 * The committed part of a stream is an iterator written by hand (pipeline/committed-stream.ts),
 * not an async generator; these hold it to a generator's contract, which every consumer
 * (for-await, KeelStream's helpers, the drop-ins' raw streams, the cache stage) relies on.
 */
import { createFakeClock, createScriptedProvider } from '@keel/testkit';
import { describe, expect, it } from 'vitest';
import { createMemoryCacheStore, KeelError, type FeatureConfig, type KeelEvent, type Provider, type StreamEvent, type StreamOptions } from '@keel/core';
import { keelWith, user } from './helpers.js';

const usage = { inputTokens: 3, outputTokens: 3 };
const finishedEvents = (events: KeelEvent[]) => events.filter((event) => event.type === 'call.finished');

function streamOf(steps: NonNullable<Parameters<typeof createScriptedProvider>[0]>['steps'], clock = createFakeClock()) {
  const provider = createScriptedProvider({ clock, steps });
  const { keel, events } = keelWith(provider, {}, { clock });
  const iterator = keel.stream({ feature: 'f', messages: user() })[Symbol.asyncIterator]() as AsyncGenerator<StreamEvent, void, undefined>;
  return { provider, keel, events, iterator, clock };
}

describe('a stream iterator keeps the async-generator contract', () => {
  it('return() before the first read ends it without calling the provider', async () => {
    const { provider, keel, events, iterator } = streamOf([{ stream: ['a', 'b'], usage }]);
    expect(await iterator.return(undefined)).toEqual({ done: true, value: undefined });
    expect(await iterator.next()).toEqual({ done: true, value: undefined });
    expect(provider.calls).toHaveLength(0);
    expect(events).toHaveLength(0);
    keel.close();
  });

  it('reads called together are answered one at a time, in order', async () => {
    const { keel, events, iterator } = streamOf([{ stream: ['a', 'b', 'c'], usage }]);
    const steps = await Promise.all([iterator.next(), iterator.next(), iterator.next(), iterator.next(), iterator.next(), iterator.next()]);
    expect(steps.map((step) => (step.done ? 'done' : step.value.type === 'text' ? step.value.text : step.value.type))).toEqual(['a', 'b', 'c', 'usage', 'finish', 'done']);
    expect(finishedEvents(events)).toMatchObject([{ outcome: 'ok' }]);
    keel.close();
  });

  it('return() while a read waits on the provider runs after it, settles once, and stops the request', async () => {
    const { provider, keel, events, iterator, clock } = streamOf([{ stream: ['a', 'b', 'c'], chunkDelayMs: 100, usage }]);
    expect(await iterator.next()).toMatchObject({ value: { type: 'text', text: 'a' } });
    const pending = iterator.next();
    const left = iterator.return(undefined);
    clock.advance(100);
    expect(await pending).toMatchObject({ value: { type: 'text', text: 'b' } });
    expect(await left).toEqual({ done: true, value: undefined });
    expect(await iterator.next()).toEqual({ done: true, value: undefined });
    expect(provider.calls[0]!.context.signal.aborted).toBe(true);
    expect(finishedEvents(events)).toMatchObject([{ outcome: 'aborted' }]);
    keel.close();
  });

  it('after the finish event, the stream is done and settled once; return() then changes nothing', async () => {
    const { keel, events, iterator } = streamOf([{ stream: ['a'], usage }]);
    const seen: string[] = [];
    for (let step = await iterator.next(); !step.done; step = await iterator.next()) seen.push(step.value.type);
    expect(seen).toEqual(['text', 'usage', 'finish']);
    expect(await iterator.return(undefined)).toEqual({ done: true, value: undefined });
    expect(finishedEvents(events)).toMatchObject([{ outcome: 'ok' }]);
    keel.close();
  });

  it('throw(error) mid-stream fails it with that error, carrying the partial text, settled once', async () => {
    const { keel, events, iterator } = streamOf([{ stream: ['a', 'b'], usage }]);
    expect(await iterator.next()).toMatchObject({ value: { text: 'a' } });
    const thrown = await iterator.throw(new KeelError('timeout', 'gave up')).catch((error: unknown) => error);
    expect(thrown).toMatchObject({ kind: 'timeout', message: 'gave up', partialText: 'a' });
    expect(await iterator.next()).toEqual({ done: true, value: undefined });
    expect(finishedEvents(events)).toMatchObject([{ outcome: 'timeout' }]);
    keel.close();
  });

  it('throw(error) before the first read rejects with it and ends the stream unread', async () => {
    const { provider, keel, iterator } = streamOf([{ stream: ['a'], usage }]);
    const error = new KeelError('aborted', 'not wanted');
    await expect(iterator.throw(error)).rejects.toBe(error);
    expect(await iterator.next()).toEqual({ done: true, value: undefined });
    expect(provider.calls).toHaveLength(0);
    keel.close();
  });

  it('a stream is announced at its first read: call.started first, then why the cache was skipped', async () => {
    const provider = createScriptedProvider({ steps: [{ stream: ['a'], usage }] });
    const { keel, events } = keelWith(provider, { cache: {} }, { cache: { store: createMemoryCacheStore() } });
    const stream = keel.stream({ feature: 'f', tenant: 't', messages: user(), cache: { bypass: true } });
    expect(events).toHaveLength(0);
    await stream.result();
    expect(events.map((event) => event.type).slice(0, 2)).toEqual(['call.started', 'cache.skipped']);
    expect(events.at(-1)).toMatchObject({ type: 'call.finished', outcome: 'ok' });
    keel.close();
  });
});

/** A provider whose text parts carry their chunk (as @keel/openai's and @keel/anthropic's do). */
function chunkCarryingProvider(words: readonly string[]): Provider {
  return {
    id: 'carrier',
    chat: () => Promise.reject(new Error('stream only')),
    async *stream(request) {
      for (const word of words) yield request.includeRaw ? { type: 'text', text: word, raw: { word } } : { type: 'text', text: word };
      yield { type: 'usage', usage: { inputTokens: 3, outputTokens: words.length } };
      yield { type: 'finish', finishReason: 'stop' };
    },
  };
}

const shapes = (events: StreamEvent[]) => events.map((event) => (event.type === 'text' ? `text:${event.text}` : event.type === 'raw' ? `raw:${(event.chunk as { word: string }).word}` : event.type));

describe('a text part that carries its chunk', () => {
  async function read(options: StreamOptions, budget?: FeatureConfig['budget'], words = ['a ', 'b ', 'c ']) {
    const { keel } = keelWith(chunkCarryingProvider(words), { maxTokens: 5, ...(budget ? { budget } : {}) });
    const seen: StreamEvent[] = [];
    for await (const event of keel.stream({ feature: 'f', messages: user() }, options)) seen.push(event);
    keel.close();
    return seen;
  }

  it('with includeRaw, becomes its text event and then its raw event', async () => {
    expect(shapes(await read({ includeRaw: true }))).toEqual(['text:a ', 'raw:a ', 'text:b ', 'raw:b ', 'text:c ', 'raw:c ', 'usage', 'finish']);
  });

  it('with rawOnly, becomes its raw event alone; the text is still on the result', async () => {
    const seen = await read({ includeRaw: true, rawOnly: true });
    expect(shapes(seen)).toEqual(['raw:a ', 'raw:b ', 'raw:c ', 'usage', 'finish']);
    expect(seen.at(-1)).toMatchObject({ type: 'finish', result: { text: 'a b c ' } });
  });

  it('without includeRaw, becomes a text event only', async () => {
    expect(shapes(await read({}))).toEqual(['text:a ', 'text:b ', 'text:c ', 'usage', 'finish']);
  });

  it('whose text the budget refuses is not handed out at all, chunk included', async () => {
    // Room for the call's hold (26 tokens, 5 of them output) and a word more; this provider
    // ignores max_tokens and sends 30 words: the meter refuses one before its chunk goes out.
    const all = Array.from({ length: 30 }, (_, index) => `word${index} `);
    const seen = await read({ includeRaw: true }, { limits: [{ scope: 'feature', unit: 'tokens', limit: 27, window: 'day' }] }, all);
    const finish = seen.at(-1);
    expect(finish).toMatchObject({ type: 'finish', result: { finishReason: 'budget_exhausted' } });
    const words = finish?.type === 'finish' ? finish.result.text : '';
    expect(words.length).toBeGreaterThan(0);
    expect(words.length).toBeLessThan(all.join('').length);
    // Every chunk handed out belongs to text that was charged and handed out, in order.
    const shown = shapes(seen).filter((shape) => shape.startsWith('text:') || shape.startsWith('raw:'));
    expect(shown).toEqual(words.match(/\S+ /g)!.flatMap((word) => [`text:${word}`, `raw:${word}`]));
  });
});
