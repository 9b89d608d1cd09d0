/**
 * Issue #22, per-kind actions and context windows, over the real `openai` and
 * `@anthropic-ai/sdk` clients against the testkit server, Keel on the fake clock: a silent route
 * fails over after ONE first-token / attempt timeout (not three retries), transient kinds still
 * retry, a `context_length` goes only to a larger window, and every case charges the budget
 * exactly what the server says it served.
 */
import { createTestServer, DEFAULT_REPLY_TEXT, type TestServer } from '@keel/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { KeelError } from '@keel/core';
import { failure } from '../pipeline/helpers.js';
import { keelOver, modelsAsked, WIRES } from './failover-setup.js';

let server: TestServer | undefined;
afterEach(async () => server?.close());

const messages = [{ role: 'user' as const, content: 'Say something.' }];

describe.each(WIRES)('failover actions over the %s wire', (wire) => {
  const [primary, fallback, larger] = wire.models;

  it('a silent provider (stream) fails over after one first-token timeout', async () => {
    server = await createTestServer({ script: [{ type: 'hang' }] });
    const { keel, clock, charged, served } = keelOver(wire, server, { timeouts: { firstTokenMs: 2_000 } });
    const pending = keel.stream({ feature: 'f', messages }).result();
    await server.waitFor(() => server!.hits === 1);
    clock.advance(2_000);
    const result = await pending;
    expect(result.text).toBe(DEFAULT_REPLY_TEXT);
    expect(result.model).toBe(fallback);
    expect(modelsAsked(server)).toEqual([primary, fallback]);
    expect(result.attempts.map((a) => `${a.model}:${a.outcome}`)).toEqual([`${primary}:timeout`, `${fallback}:ok`]);
    expect(result.costUsd).toBeGreaterThan(0);
    expect(result.candidates).toEqual([
      { provider: wire.name, model: primary, outcome: 'failed_over', kind: 'timeout', attempts: 1, costUsd: 0 },
      { provider: wire.name, model: fallback, outcome: 'answered', attempts: 1, costUsd: result.costUsd },
    ]);
    await server.waitFor(() => server!.requests[0]!.closed);
    expect(server.requests[0]!.aborted).toBe(true);
    expect(await charged()).toBe(served());
    expect(clock.sleeps).toEqual([]);
    keel.close();
  });

  it('a slow first token (stream) fails over at once', async () => {
    server = await createTestServer({ script: [{ type: 'slow-first-token', delayMs: 600_000 }] });
    const { keel, clock, charged, served } = keelOver(wire, server, { timeouts: { firstTokenMs: 3_000 } });
    const pending = keel.stream({ feature: 'f', messages }).result();
    await server.waitFor(() => server!.hits === 1);
    clock.advance(3_000);
    const result = await pending;
    expect(result).toMatchObject({ text: DEFAULT_REPLY_TEXT, model: fallback });
    expect(modelsAsked(server)).toEqual([primary, fallback]);
    expect(await charged()).toBe(served());
    keel.close();
  });

  it('a chat attempt timeout fails over at once', async () => {
    server = await createTestServer({ script: [{ type: 'slow-headers', delayMs: 600_000 }] });
    const { keel, clock, charged, served } = keelOver(wire, server, { timeouts: { attemptMs: 5_000 } });
    const pending = keel.chat({ feature: 'f', messages });
    await server.waitFor(() => server!.hits === 1);
    clock.advance(5_000);
    const result = await pending;
    expect(result).toMatchObject({ text: DEFAULT_REPLY_TEXT, model: fallback });
    expect(modelsAsked(server)).toEqual([primary, fallback]);
    expect(await charged()).toBe(served());
    keel.close();
  });

  it('on the last candidate a timeout is still retried (nothing else could answer)', async () => {
    server = await createTestServer({ script: [{ type: 'hang' }] });
    const { keel, clock } = keelOver(wire, server, { models: [{ provider: wire.name, model: primary }], timeouts: { firstTokenMs: 2_000 }, retry: { baseDelayMs: 0 } });
    const pending = keel.stream({ feature: 'f', messages }).result();
    await server.waitFor(() => server!.hits === 1);
    clock.advance(2_000);
    expect((await pending).text).toBe(DEFAULT_REPLY_TEXT);
    expect(modelsAsked(server)).toEqual([primary, primary]);
    keel.close();
  });

  it('transient kinds keep their retries: a 500 is retried on the same model first', async () => {
    server = await createTestServer({ script: [{ type: 'status', status: 500 }] });
    const { keel } = keelOver(wire, server, { retry: { baseDelayMs: 0 } });
    const result = await keel.chat({ feature: 'f', messages });
    expect(result.model).toBe(primary);
    expect(modelsAsked(server)).toEqual([primary, primary]);
    keel.close();
  });

  it('a kind set to `fail` ends the call: no retry, no fallback', async () => {
    server = await createTestServer({ script: [{ type: 'status', status: 500 }] });
    const { keel } = keelOver(wire, server, { failover: { actions: { server: 'fail' } } });
    const error = await failure(keel.chat({ feature: 'f', messages }));
    expect(error).toMatchObject({ kind: 'server' });
    expect(error.candidates).toEqual([{ provider: wire.name, model: primary, outcome: 'failed', kind: 'server', attempts: 1, costUsd: 0 }]);
    expect(server.hits).toBe(1);
    keel.close();
  });

  it('a kind set to `failover` skips the retries: a 500 goes straight to the fallback', async () => {
    server = await createTestServer({ script: [{ type: 'status', status: 500 }] });
    const { keel } = keelOver(wire, server, { failover: { actions: { server: 'failover' } } });
    expect((await keel.chat({ feature: 'f', messages })).model).toBe(fallback);
    expect(modelsAsked(server)).toEqual([primary, fallback]);
    keel.close();
  });

  it('a context_length goes only to a candidate with a larger window', async () => {
    server = await createTestServer({ script: [{ type: 'status', status: 400, error: { code: 'context_length_exceeded' } }] });
    // primary and fallback share a window (128k / 200k); the third is larger (catalog or override).
    const models = [
      { provider: wire.name, model: primary },
      { provider: wire.name, model: fallback },
      { provider: wire.name, model: larger, ...(wire.name === 'anthropic' ? { contextWindow: 1_000_000 } : {}) },
    ];
    const { keel, charged, served } = keelOver(wire, server, { models });
    const result = await keel.stream({ feature: 'f', messages }).result();
    expect(result).toMatchObject({ text: DEFAULT_REPLY_TEXT, model: larger });
    expect(modelsAsked(server)).toEqual([primary, larger]);
    expect(result.candidates).toEqual([
      { provider: wire.name, model: primary, outcome: 'failed_over', kind: 'context_length', attempts: 1, costUsd: 0 },
      { provider: wire.name, model: fallback, outcome: 'skipped', kind: 'context_length', attempts: 0, costUsd: 0 },
      { provider: wire.name, model: larger, outcome: 'answered', attempts: 1, costUsd: result.costUsd },
    ]);
    expect(await charged()).toBe(served());
    keel.close();
  });

  it('a context_length with no larger window left is a clear context_length error', async () => {
    server = await createTestServer({ script: [{ type: 'status', status: 400, error: { code: 'context_length_exceeded' } }] });
    const { keel } = keelOver(wire, server, {});
    const error = await failure(keel.chat({ feature: 'f', messages }));
    expect(KeelError.is(error)).toBe(true);
    expect(error).toMatchObject({ kind: 'context_length', message: expect.stringMatching(/no candidate has a larger context window/) });
    expect(error.candidates).toEqual([
      { provider: wire.name, model: primary, outcome: 'failed', kind: 'context_length', attempts: 1, costUsd: 0 },
      { provider: wire.name, model: fallback, outcome: 'skipped', kind: 'context_length', attempts: 0, costUsd: 0 },
    ]);
    expect(modelsAsked(server)).toEqual([primary]);
    keel.close();
  });
});

describe('context-window pre-check (openai wire: tiktoken counts exactly)', () => {
  it('a prompt over gpt-4 (8k) is never sent there: it goes to gpt-4o', async () => {
    server = await createTestServer();
    const wire = WIRES[0]!;
    const { keel } = keelOver(wire, server, { models: [{ provider: 'openai', model: 'gpt-4' }, { provider: 'openai', model: 'gpt-4o' }] });
    const long = [{ role: 'user' as const, content: 'hello '.repeat(9_000) }];
    const result = await keel.chat({ feature: 'f', messages: long });
    expect(result.model).toBe('gpt-4o');
    expect(modelsAsked(server)).toEqual(['gpt-4o']);
    keel.close();
  });

  it('a prompt that fits is sent to the primary even when its byte bound does not', async () => {
    server = await createTestServer();
    const wire = WIRES[0]!;
    const { keel } = keelOver(wire, server, { models: [{ provider: 'openai', model: 'gpt-4' }, { provider: 'openai', model: 'gpt-4o' }] });
    // ~7,000 tokens, ~42,000 bytes: the bound says no, the exact count says yes.
    const result = await keel.chat({ feature: 'f', messages: [{ role: 'user', content: 'hello '.repeat(7_000) }] });
    expect(result.model).toBe('gpt-4');
    keel.close();
  });

  const conversation = [
    { role: 'system' as const, content: 'You are terse.' },
    ...Array.from({ length: 6 }, (_, i) => ({ role: i % 2 === 0 ? ('user' as const) : ('assistant' as const), content: `turn${i} ` + 'hello '.repeat(1_500) })),
    { role: 'user' as const, content: 'And now?' },
  ];

  it('no window holds the conversation: a context_length error, nothing sent', async () => {
    server = await createTestServer();
    const { keel } = keelOver(WIRES[0]!, server, { models: [{ provider: 'openai', model: 'gpt-4' }] });
    const error = await failure(keel.chat({ feature: 'f', messages: conversation }));
    expect(error).toMatchObject({ kind: 'context_length', message: 'The prompt does not fit the context window of any candidate' });
    expect(server.hits).toBe(0);
    keel.close();
  });

  it("contextOverflow 'trim-oldest' drops the oldest turns, keeping the system prompt and the last message", async () => {
    server = await createTestServer();
    const { keel } = keelOver(WIRES[0]!, server, { models: [{ provider: 'openai', model: 'gpt-4' }], failover: { contextOverflow: 'trim-oldest' } });
    const result = await keel.chat({ feature: 'f', messages: conversation });
    expect(result.model).toBe('gpt-4');
    const sent = (server.requests[0]!.body as { messages: { role: string; content: string }[] }).messages;
    expect(sent[0]).toEqual({ role: 'system', content: 'You are terse.' });
    expect(sent.at(-1)).toEqual({ role: 'user', content: 'And now?' });
    // ~1,500 tokens a turn in an 8,192 window (200 reserved for output): six do not fit, the newest five do.
    expect(sent.slice(1, -1).map((m) => m.content.split(' ')[0])).toEqual(['turn1', 'turn2', 'turn3', 'turn4', 'turn5']);
    keel.close();
  });
});
