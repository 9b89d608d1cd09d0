/**
 * Issue #17, items 4 and 5, through keel.stream over the real `openai` and `@anthropic-ai/sdk`
 * clients: a stream charges before it hands text out, an accepted stream pays its input however
 * it ends, and the meter estimates the accumulated text rather than each delta.
 */
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { createAnthropicProvider } from '@keel/anthropic';
import { createOpenAIProvider } from '@keel/openai';
import { createTestServer, type Fault, type TestServer } from '@keel/testkit';
import { describe, expect, it } from 'vitest';
import { budgetKey, createInMemoryBudgetStore, createKeel, type Provider } from '@keel/core';

const PROVIDERS = [
  ['openai', (server: TestServer) => createOpenAIProvider({ client: new OpenAI({ apiKey: 'sk-test', baseURL: `${server.url}/v1` }) }), 'gpt-4o-mini'],
  ['anthropic', (server: TestServer) => createAnthropicProvider({ client: new Anthropic({ apiKey: 'sk-ant-test', baseURL: server.url }) }), 'claude-sonnet-4-6'],
] as const;

const KEY = budgetKey('feature', 'tokens', 'day', { feature: 'f' })!;

function setup(provider: Provider, model: string, limit: number, maxTokens: number) {
  const store = createInMemoryBudgetStore();
  const keel = createKeel({
    providers: [provider],
    features: { f: { models: [{ provider: provider.id, model }], maxTokens, budget: { limits: [{ scope: 'feature', unit: 'tokens', limit, window: 'day' }] } } },
    budgetStore: store,
  });
  const usage = async () => (await store.usage([{ key: KEY, unit: 'tokens', limit, window: 'day' }]))[0]!;
  return { keel, usage };
}

describe.each(PROVIDERS)('keel.stream over %s: budgets on every stream path', (_name, providerFor, model) => {
  it('toReadableStream() cancelled after its first delta commits the input and the delta', async () => {
    await using server = await createTestServer();
    const { keel, usage } = setup(providerFor(server), model, 2_000, 100);
    const reader = keel.stream({ feature: 'f', messages: [{ role: 'user', content: 'Say something.' }] }).toReadableStream().getReader();
    const first = await reader.read();
    expect(first.value).toBe('The ');
    await reader.cancel();
    const line = await usage();
    expect(line.held).toBe(0);
    // The testkit counts the input as a quarter of the prompt's characters; one token was delivered.
    expect(line.committed).toBeGreaterThanOrEqual(Math.ceil('Say something.'.length / 4) + 1);
    keel.close();
  });

  it('a stream with many small deltas that fits its grant is never cut', async () => {
    const text = 'abcd '.repeat(40);
    const script: Fault[] = [{ type: 'ok', text }];
    await using server = await createTestServer({ script });
    // Input bound 19 ('user', 'Go.') + 40 output: exactly the hold, no room to grow.
    const { keel } = setup(providerFor(server), model, 19 + 40, 40);
    const result = await keel.stream({ feature: 'f', messages: [{ role: 'user', content: 'Go.' }] }).result();
    expect(result.text).toBe(text);
    expect(result.finishReason).toBe('stop');
    keel.close();
  });
});
