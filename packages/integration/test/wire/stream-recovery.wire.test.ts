/**
 * Issue #22, mid-stream recovery, over the real `openai` and `@anthropic-ai/sdk` clients against
 * the testkit server, Keel on the fake clock: a cut, a stall and a malformed event after N
 * tokens each end in ONE complete answer — by assistant-prefill continuation (Anthropic) or by a
 * restart whose regenerated prefix is suppressed (either wire) — with no text duplicated or
 * missing; when the restart diverges, the typed error as without recovery. Every leg is charged
 * exactly: a broken one (no usage) Keel's count of its prompt and of the text it received, the
 * last one the usage the server reported; the budget spent is their sum and each candidate's
 * cost its leg's.
 */
import { createTestServer, DEFAULT_REPLY_TEXT, type Fault, type TestServer } from '@keel/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { KeelError, roundUsd, type ChatResult, type FeatureConfig, type KeelEvent, type KeelStream, type StreamEvent, type Usage } from '@keel/core';
import { brokenLegUsage, keelOver, modelsAsked, pricingFor, reportedUsage, tokensOf, usdAt, WIRES, type WireCase } from './failover-setup.js';

let server: TestServer | undefined;
afterEach(async () => server?.close());

const messages = [{ role: 'user' as const, content: 'Say something.' }];

/** Reads a stream to its end: every text delta the caller saw, and the result or the error. */
async function drain(stream: KeelStream, onText?: (count: number) => void) {
  const texts: string[] = [];
  try {
    for await (const event of stream as AsyncIterable<StreamEvent>) {
      if (event.type === 'text') {
        texts.push(event.text);
        onText?.(texts.length);
      }
      if (event.type === 'finish') return { texts, result: event.result, error: undefined };
    }
    throw new Error('the stream ended without a finish');
  } catch (error) {
    if (!KeelError.is(error)) throw error;
    return { texts, result: undefined, error };
  }
}

/** The trailing assistant message of a request body, if it has one. */
function prefillOf(body: unknown): string | undefined {
  const list = (body as { messages?: { role: string; content: unknown }[] }).messages ?? [];
  const last = list[list.length - 1];
  return last?.role === 'assistant' ? String(last.content) : undefined;
}

/**
 * Two legs: the first broke after `brokenText` (no usage), the second answered. The budget spent
 * is exactly the broken leg's count plus the usage the server reported for the second, each
 * candidate is charged its own leg, and no leg is charged less than the server served it.
 */
async function expectExactCharges(wire: WireCase, server: TestServer, charged: () => Promise<number>, served: () => number, result: ChatResult, brokenText: string) {
  for (const request of server.requests) expect(request.served.outputTokens).toBeGreaterThan(0);
  const broken = brokenLegUsage(wire, modelsAsked(server)[0]!, messages, brokenText);
  const last = reportedUsage(server, 1);
  expect(await charged()).toBe(tokensOf(broken) + tokensOf(last));
  expect(result.candidates!.map((candidate) => candidate.costUsd)).toEqual([usdAt(broken), usdAt(last)]);
  expect(result.costUsd).toBe(roundUsd(usdAt(broken) + usdAt(last)));
  expect(await charged()).toBeGreaterThanOrEqual(served());
}

/** The `stream.recovered` events, without their call id, feature and time. */
const recoveredEvents = (events: readonly KeelEvent[]) =>
  events.flatMap((event) => {
    if (event.type !== 'stream.recovered') return [];
    const { callId: _callId, feature: _feature, at: _at, ...rest } = event;
    return [rest];
  });

/** The text of the first `n` deltas of the default reply (one word each). */
const firstWords = (n: number) => DEFAULT_REPLY_TEXT.split(/(?<= )/).slice(0, n).join('');

const FAULTS: readonly (readonly [string, Fault])[] = [
  ['a cut', { type: 'reset-after', chunks: 3 }],
  ['a malformed event', { type: 'malformed-sse', afterChunks: 3 }],
];

function restartCase(wire: WireCase, feature: Partial<FeatureConfig> = {}): Partial<FeatureConfig> {
  return { failover: { midStream: 'restart' }, temperature: 0, ...feature, models: wire.models.slice(0, 2).map((model) => ({ provider: wire.name, model })) };
}

describe.each(WIRES)('mid-stream recovery over the %s wire: restart, prefix suppressed', (wire) => {
  const [primary, fallback] = wire.models;

  it.each(FAULTS)('%s after 3 tokens ends in one complete answer from the same model', async (_name, fault) => {
    server = await createTestServer({ script: [fault] });
    const { keel, charged, served, events } = keelOver(wire, server, restartCase(wire), { pricing: pricingFor(wire) });
    const { texts, result, error } = await drain(keel.stream({ feature: 'f', messages }));
    expect(error).toBeUndefined();
    expect(texts.join('')).toBe(DEFAULT_REPLY_TEXT);
    expect(result!.text).toBe(DEFAULT_REPLY_TEXT);
    expect(modelsAsked(server)).toEqual([primary, primary]);
    const leg = { provider: wire.name, model: primary };
    expect(recoveredEvents(events)).toEqual([{ type: 'stream.recovered', from: leg, to: leg, mode: 'restart', kind: fault.type === 'reset-after' ? 'connection' : 'server', textChars: firstWords(3).length }]);
    // A restart sends the same messages again: no prefill.
    expect(prefillOf(server.requests[1]!.body)).toBeUndefined();
    expect(result!.candidates).toMatchObject([
      { model: primary, outcome: 'recovered', attempts: 1 },
      { model: primary, outcome: 'answered', attempts: 1 },
    ]);
    await expectExactCharges(wire, server, charged, served, result!, firstWords(3));
    keel.close();
  });

  it('a stall after 3 tokens (idle timeout) restarts on the next candidate', async () => {
    server = await createTestServer({ script: [{ type: 'stall-after', chunks: 3 }] });
    const { keel, clock, charged, served, events } = keelOver(wire, server, restartCase(wire, { timeouts: { idleMs: 1_000 } }), { pricing: pricingFor(wire) });
    const { texts, result, error } = await drain(keel.stream({ feature: 'f', messages }), (count) => {
      // Once Keel waits on the silent provider (after this event is handed back), the idle timeout passes.
      if (count === 3) setImmediate(() => clock.advance(1_000));
    });
    expect(error).toBeUndefined();
    expect(texts.join('')).toBe(DEFAULT_REPLY_TEXT);
    expect(result!.model).toBe(fallback);
    expect(modelsAsked(server)).toEqual([primary, fallback]);
    expect(recoveredEvents(events)).toEqual([
      { type: 'stream.recovered', from: { provider: wire.name, model: primary }, to: { provider: wire.name, model: fallback }, mode: 'restart', kind: 'timeout', textChars: firstWords(3).length },
    ]);
    expect(result!.candidates).toMatchObject([
      { model: primary, outcome: 'recovered', kind: 'timeout' },
      { model: fallback, outcome: 'answered' },
    ]);
    await expectExactCharges(wire, server, charged, served, result!, firstWords(3));
    keel.close();
  });

  it('a restart that regenerates different text ends in the typed error: nothing duplicated or joined', async () => {
    server = await createTestServer({
      script: [{ type: 'reset-after', chunks: 3 }],
      reply: (request) => (request.index === 0 ? DEFAULT_REPLY_TEXT : 'A different answer altogether, longer than the first.'),
    });
    const { keel, charged, served } = keelOver(wire, server, restartCase(wire), { pricing: pricingFor(wire) });
    const { texts, error } = await drain(keel.stream({ feature: 'f', messages }));
    expect(error).toMatchObject({ kind: 'connection', retryable: false });
    expect(error!.partialText).toBe(texts.join(''));
    expect(texts.join('')).toBe('The quick brown ');
    expect(server.hits).toBe(2);
    expect(error!.candidates).toMatchObject([
      { model: primary, outcome: 'recovered', kind: 'connection' },
      { model: primary, outcome: 'failed', kind: 'connection' },
    ]);
    await server.waitFor(() => server!.requests.every((request) => request.closed));
    // Both legs broke without usage: the first after 3 words, the second at its first word ('A ').
    const legs: Usage[] = [brokenLegUsage(wire, primary, messages, firstWords(3)), brokenLegUsage(wire, primary, messages, 'A ')];
    expect(await charged()).toBe(tokensOf(legs[0]!) + tokensOf(legs[1]!));
    expect(await charged()).toBeGreaterThanOrEqual(served());
    keel.close();
  });

  it('with recovery off, a cut is the typed error with the partial text, one request sent', async () => {
    server = await createTestServer({ script: [{ type: 'reset-after', chunks: 3 }] });
    const { keel, events } = keelOver(wire, server, restartCase(wire, { failover: { midStream: 'off' } }));
    const { texts, error } = await drain(keel.stream({ feature: 'f', messages }));
    expect(error).toMatchObject({ kind: 'connection', partialText: texts.join('') });
    expect(server.hits).toBe(1);
    expect(recoveredEvents(events)).toEqual([]);
    keel.close();
  });
});

describe('mid-stream recovery over the anthropic wire: assistant-prefill continuation (the default)', () => {
  const wire = WIRES[1]!;
  const [primary, fallback] = wire.models;

  it.each(FAULTS)('%s after 3 tokens is continued from a prefill of the text sent', async (_name, fault) => {
    server = await createTestServer({ script: [fault] });
    const { keel, charged, served, events } = keelOver(wire, server, {}, { pricing: pricingFor(wire) });
    const { texts, result, error } = await drain(keel.stream({ feature: 'f', messages }));
    expect(error).toBeUndefined();
    expect(texts.join('')).toBe(DEFAULT_REPLY_TEXT);
    expect(modelsAsked(server)).toEqual([primary, primary]);
    const leg = { provider: wire.name, model: primary };
    expect(recoveredEvents(events)).toEqual([{ type: 'stream.recovered', from: leg, to: leg, mode: 'continue', kind: fault.type === 'reset-after' ? 'connection' : 'server', textChars: firstWords(3).length }]);
    // Sent without its trailing space (the API refuses one); the continuation's space is dropped once.
    expect(prefillOf(server.requests[1]!.body)).toBe('The quick brown');
    // The continuation served only the rest of the answer.
    expect(server.requests[1]!.served.outputTokens).toBe(DEFAULT_REPLY_TEXT.split(' ').length - 3);
    expect(result!.candidates).toMatchObject([
      { model: primary, outcome: 'recovered', attempts: 1 },
      { model: primary, outcome: 'answered', attempts: 1 },
    ]);
    await expectExactCharges(wire, server, charged, served, result!, firstWords(3));
    keel.close();
  });

  it('a stall after 3 tokens continues on the next candidate', async () => {
    server = await createTestServer({ script: [{ type: 'stall-after', chunks: 3 }] });
    const { keel, clock, charged, served } = keelOver(wire, server, { timeouts: { idleMs: 1_000 } }, { pricing: pricingFor(wire) });
    const { texts, result, error } = await drain(keel.stream({ feature: 'f', messages }), (count) => {
      if (count === 3) setImmediate(() => clock.advance(1_000));
    });
    expect(error).toBeUndefined();
    expect(texts.join('')).toBe(DEFAULT_REPLY_TEXT);
    expect(result!.model).toBe(fallback);
    expect(prefillOf(server.requests[1]!.body)).toBe('The quick brown');
    await expectExactCharges(wire, server, charged, served, result!, firstWords(3));
    keel.close();
  });
});

describe('openai wire with the default recovery (continuation only)', () => {
  it('a cut cannot be continued there (no prefill): the typed error as before, one request', async () => {
    const wire = WIRES[0]!;
    server = await createTestServer({ script: [{ type: 'reset-after', chunks: 3 }] });
    const { keel } = keelOver(wire, server, {});
    const { texts, error } = await drain(keel.stream({ feature: 'f', messages }));
    expect(error).toMatchObject({ kind: 'connection', partialText: texts.join('') });
    expect(server.hits).toBe(1);
    keel.close();
  });
});
