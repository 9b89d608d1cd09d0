/**
 * Issue #22, the bulkhead: a per-provider concurrency limit with a bounded queue that respects
 * the deadline, over the real `openai` client against the testkit server, Keel on the fake clock.
 * A refusal sends nothing and moves the call to the next candidate; a stream holds its slot
 * until it ends.
 */
import OpenAI from 'openai';
import { createOpenAIProvider } from '@keel/openai';
import { createFakeClock, createTestServer, DEFAULT_REPLY_TEXT, type TestServer } from '@keel/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { createKeel, type FeatureConfig } from '@keel/core';
import { failure } from '../pipeline/helpers.js';

let server: TestServer | undefined;
afterEach(async () => server?.close());

const messages = [{ role: 'user' as const, content: 'Say something.' }];

function setup(server: TestServer, bulkhead: { maxConcurrent: number; maxQueue?: number }, feature: Partial<FeatureConfig> = {}) {
  const clock = createFakeClock();
  const client = new OpenAI({ apiKey: 'sk-test', baseURL: `${server.url}/v1` });
  const keel = createKeel({
    providers: [createOpenAIProvider({ client }), createOpenAIProvider({ id: 'backup', client })],
    features: { f: { models: [{ provider: 'openai', model: 'gpt-4o' }], retry: { maxAttempts: 1 }, ...feature } },
    defaults: { bulkheads: { openai: bulkhead }, breaker: { minimumAttempts: 1_000, consecutiveFailures: 1_000 } },
    clock,
  });
  return { keel, clock };
}

describe('bulkhead over the openai wire', () => {
  it('a full bulkhead (1 in flight, queue 0) refuses at once as overloaded, nothing sent', async () => {
    server = await createTestServer({ script: [{ type: 'hang' }] });
    const { keel } = setup(server, { maxConcurrent: 1 });
    const first = keel.chat({ feature: 'f', messages });
    first.catch(() => undefined);
    await server.waitFor(() => server!.hits === 1);
    const error = await failure(keel.chat({ feature: 'f', messages }));
    expect(error).toMatchObject({ kind: 'overloaded', retryable: false, message: expect.stringMatching(/Bulkhead for openai/) });
    expect(server.hits).toBe(1);
    keel.close();
  });

  it('a refusal moves the call to the next candidate (another provider) at once', async () => {
    server = await createTestServer({ script: [{ type: 'hang' }] });
    const { keel } = setup(server, { maxConcurrent: 1 }, { models: [{ provider: 'openai', model: 'gpt-4o' }, { provider: 'backup', model: 'gpt-4o-mini' }] });
    const first = keel.chat({ feature: 'f', messages });
    first.catch(() => undefined);
    await server.waitFor(() => server!.hits === 1);
    const result = await keel.chat({ feature: 'f', messages });
    expect(result).toMatchObject({ provider: 'backup', text: DEFAULT_REPLY_TEXT });
    expect(result.candidates).toMatchObject([{ provider: 'openai', outcome: 'failed_over', kind: 'overloaded' }, { provider: 'backup', outcome: 'answered' }]);
    keel.close();
  });

  it('a queued attempt leaves the queue when its deadline would leave no time for it, having sent nothing', async () => {
    server = await createTestServer({ script: [{ type: 'hang' }] });
    const { keel, clock } = setup(server, { maxConcurrent: 1, maxQueue: 1 }, { timeouts: { totalMs: 10_000, attemptMs: 60_000 } });
    const first = keel.chat({ feature: 'f', messages });
    first.catch(() => undefined);
    await server.waitFor(() => server!.hits === 1);
    const queued = failure(keel.chat({ feature: 'f', messages }));
    await new Promise((resolve) => setImmediate(resolve));
    // The queue holds one: a third is refused at once.
    expect(await failure(keel.chat({ feature: 'f', messages }))).toMatchObject({ kind: 'overloaded', message: expect.stringMatching(/queue is full/) });
    clock.advance(10_000 - 250);
    expect(await queued).toMatchObject({ kind: 'overloaded', message: expect.stringMatching(/before the deadline/) });
    expect(server.hits).toBe(1);
    keel.close();
  });

  it('a stream holds its slot after its first token, until it ends', async () => {
    server = await createTestServer();
    const { keel, clock } = setup(server, { maxConcurrent: 1, maxQueue: 1 });
    const iterator = keel.stream({ feature: 'f', messages })[Symbol.asyncIterator]();
    expect((await iterator.next()).value).toMatchObject({ type: 'text' });
    // While the stream is being read, a chat with a 1 s deadline waits unsent and leaves the queue.
    const queued = failure(keel.chat({ feature: 'f', messages, deadlineMs: 1_000 }));
    // Everything up to the queue is microtasks: after this turn the chat waits there.
    await new Promise((resolve) => setImmediate(resolve));
    clock.advance(750);
    expect(await queued).toMatchObject({ kind: 'overloaded', message: expect.stringMatching(/before the deadline/) });
    expect(server.hits).toBe(1);
    for (let step = await iterator.next(); !step.done; step = await iterator.next());
    // The stream ended: its slot is free again.
    expect((await keel.chat({ feature: 'f', messages })).text).toBe(DEFAULT_REPLY_TEXT);
    expect(server.hits).toBe(2);
    keel.close();
  });
});
