/**
 * `call.finished` as a per-user spend feed: it names the user and tenant, and after a stream that
 * failed mid-way its `budgetRemaining` is the room left once the hold was settled — not the
 * room while the whole hold was still reserved.
 */
import OpenAI from 'openai';
import { createOpenAIProvider } from '@keel/openai';
import { createTestServer, type Fault } from '@keel/testkit';
import { expect, it } from 'vitest';
import { createKeel, KeelError, type KeelEvent } from '@keel/core';

async function setup(script: Fault[]) {
  const server = await createTestServer({ script });
  const events: KeelEvent[] = [];
  const keel = createKeel({
    providers: [createOpenAIProvider({ client: new OpenAI({ apiKey: 'test-key-finished', baseURL: `${server.url}/v1` }) })],
    features: {
      f: {
        models: [{ provider: 'openai', model: 'gpt-4o-mini' }],
        maxTokens: 1_000,
        retry: { maxAttempts: 1 },
        budget: { limits: [{ scope: 'feature', unit: 'tokens', limit: 10_000, window: 'day' }] },
      },
    },
    onEvent: (event) => events.push(event),
  });
  const finished = () => events.filter((event) => event.type === 'call.finished');
  return { server, keel, finished };
}

it('carries the user and tenant of the request', async () => {
  const { server, keel, finished } = await setup([]);
  await keel.chat({ feature: 'f', user: 'u-42', tenant: 'acme', messages: [{ role: 'user', content: 'hi' }] });
  keel.close();
  await server.close();
  expect(finished()).toMatchObject([{ user: 'u-42', tenant: 'acme', outcome: 'ok' }]);
});

it('after a stream cut mid-way, reports the budget left once the hold was settled', async () => {
  const { server, keel, finished } = await setup([{ type: 'reset-after', chunks: 2 }]);
  const error = await keel
    .stream({ feature: 'f', user: 'u-42', messages: [{ role: 'user', content: 'hi' }] })
    .text()
    .then(() => undefined, (thrown: unknown) => thrown);
  keel.close();
  await server.close();
  expect(KeelError.is(error) && error.kind).toBe('connection');
  const [event] = finished();
  expect(event).toMatchObject({ outcome: 'connection', user: 'u-42' });
  const remaining = event?.type === 'call.finished' ? event.budgetRemaining?.remaining : undefined;
  // The hold reserved the input bound + 1,000 output tokens; two deltas were served. Room left
  // with the hold still counted would be at most 9,000.
  expect(remaining).toBeGreaterThan(9_000);
  expect(remaining).toBeLessThan(10_000);
});
