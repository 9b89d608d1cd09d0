/**
 * Keel's timers over the real `openai` client and the testkit's loopback server, with Keel on
 * the fake clock: what counts as stream idle, and that no attempt is sent without the minimum
 * time left (`timeouts.minAttemptMs`). Nothing here waits on or measures wall-clock time.
 */
import OpenAI from 'openai';
import { createOpenAIProvider } from '@keel/openai';
import { createFakeClock, createTestServer, DEFAULT_REPLY_TEXT, type FakeClock, type TestServer } from '@keel/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { createKeel, KeelError, type FeatureConfig, type StreamEvent } from '@keel/core';
import { failure } from '../pipeline/helpers.js';

let server: TestServer | undefined;
afterEach(async () => server?.close());

async function setup(feature: Partial<FeatureConfig>) {
  server = await createTestServer();
  const clock = createFakeClock();
  const client = new OpenAI({ apiKey: 'test-key', baseURL: `${server.url}/v1` });
  const keel = createKeel({
    providers: [createOpenAIProvider({ client })],
    features: { f: { models: [{ provider: 'openai', model: 'gpt-4o-mini' }], ...feature } },
    defaults: { breaker: { minimumAttempts: 1_000 } },
    clock,
  });
  return { server, keel, clock };
}

const messages = [{ role: 'user' as const, content: 'hello' }];
const nextTick = () => new Promise((resolve) => setImmediate(resolve));

/** Advances the fake clock in small steps until `pending` settles (or `limitMs` is spent). */
async function advanceUntilSettled<T>(clock: FakeClock, pending: Promise<T>, stepMs: number, limitMs: number) {
  let settled = false;
  const outcome = pending.then(
    (value) => ({ value, error: undefined }),
    (error: unknown) => ({ value: undefined, error: error as KeelError }),
  );
  void outcome.then(() => (settled = true));
  for (let spent = 0; !settled && spent < limitMs; spent += stepMs) {
    await nextTick();
    if (!settled) clock.advance(stepMs);
  }
  return outcome;
}

describe('stream idle over the wire', () => {
  it('a slow consumer of a fast provider is not idle: 400 ms per chunk with idleMs 300 reads it all', async () => {
    const { server, keel, clock } = await setup({ timeouts: { idleMs: 300 } });
    const parts: string[] = [];
    for await (const event of keel.stream({ feature: 'f', messages })) {
      if (event.type !== 'text') continue;
      parts.push(event.text);
      clock.advance(400);
    }
    expect(parts.length).toBeGreaterThan(3);
    expect(parts.join('')).toBe(DEFAULT_REPLY_TEXT);
    await server.waitFor(() => server.requests[0]!.closed);
    expect(server.requests[0]!.aborted).toBe(false);
    keel.close();
  });

  it('a provider silent for longer than idleMs with a fast consumer is a timeout carrying the partial text', async () => {
    const { server, keel, clock } = await setup({ timeouts: { idleMs: 300 } });
    server.script([{ type: 'stall-after', chunks: 2 }]);
    const iterator = keel.stream({ feature: 'f', messages })[Symbol.asyncIterator]();
    const texts: string[] = [];
    while (texts.length < 2) {
      const step: IteratorResult<StreamEvent> = await iterator.next();
      if (step.done) throw new Error('the stream ended before its two chunks');
      if (step.value.type === 'text') texts.push(step.value.text);
    }
    const { error } = await advanceUntilSettled(clock, iterator.next(), 50, 10_000);
    expect(KeelError.is(error)).toBe(true);
    expect(error).toMatchObject({ kind: 'timeout', retryable: false, message: expect.stringMatching(/idle/) });
    expect(error!.partialText).toBe(texts.join(''));
    expect(error!.partialText!.length).toBeGreaterThan(0);
    await server.waitFor(() => server.requests[0]!.aborted);
    keel.close();
  });
});

describe('no attempt starts with less than minAttemptMs left', () => {
  it('a retry-after that would leave 40 ms of the deadline is not retried: rate_limited with retryAfterMs, one request sent', async () => {
    const { server, keel } = await setup({ timeouts: { totalMs: 1_000 } });
    server.script([{ type: 'status', status: 429, headers: { 'retry-after-ms': '960' } }, { type: 'hang' }]);
    // Either the call settles, or (the old behaviour) a retry reaches the server and hangs there.
    const outcome = await Promise.race([
      failure(keel.chat({ feature: 'f', messages })),
      server.waitFor(() => server.hits >= 2).then(
        () => 'a retry was sent',
        () => 'server closed',
      ),
    ]);
    expect(outcome).toMatchObject({ kind: 'rate_limited', retryAfterMs: 960, retryable: false, attempts: [{ outcome: 'rate_limited', status: 429 }] });
    expect(server.requests.map((request) => request.fault?.type)).toEqual(['status']);
    keel.close();
  });

  it('a retry-after that leaves minAttemptMs is honoured and the retry is sent', async () => {
    const { server, keel, clock } = await setup({ timeouts: { totalMs: 1_000 } });
    server.script([{ type: 'status', status: 429, headers: { 'retry-after-ms': '700' } }]);
    const result = await keel.chat({ feature: 'f', messages });
    expect(result.attempts.map((a) => a.waitMs)).toEqual([700, undefined]);
    expect(clock.sleeps).toEqual([700]);
    expect(server.hits).toBe(2);
    keel.close();
  });
});
