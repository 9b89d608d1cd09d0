/** `costUsd` on results and events is rounded to COST_USD_DECIMALS places: no float noise. */
import OpenAI from 'openai';
import { createOpenAIProvider } from '@keel/openai';
import { createTestServer } from '@keel/testkit';
import { expect, it } from 'vitest';
import { COST_USD_DECIMALS, createKeel, type KeelEvent } from '@keel/core';

it('reports costUsd at a fixed precision on the result and on call.finished', async () => {
  // 13 + 17 tokens on gpt-4o-mini ($0.15 / $0.60 per M): the float sum is 0.000012149999999999999.
  await using server = await createTestServer({ script: [{ type: 'ok', usage: { inputTokens: 13, outputTokens: 17 } }] });
  const events: KeelEvent[] = [];
  const keel = createKeel({
    providers: [createOpenAIProvider({ client: new OpenAI({ apiKey: 'test-key-cost', baseURL: `${server.url}/v1` }) })],
    features: { f: { models: [{ provider: 'openai', model: 'gpt-4o-mini' }] } },
    onEvent: (event) => events.push(event),
  });
  const result = await keel.chat({ feature: 'f', messages: [{ role: 'user', content: 'hi' }] });
  keel.close();
  const finished = events.find((event) => event.type === 'call.finished');
  expect(13 * 0.15e-6 + 17 * 0.6e-6).not.toBe(0.00001215);
  expect(result.costUsd).toBe(0.00001215);
  expect(finished && 'costUsd' in finished ? finished.costUsd : undefined).toBe(0.00001215);
  expect(COST_USD_DECIMALS).toBe(10);
});
