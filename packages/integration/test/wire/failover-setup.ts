/**
 * Shared setup of the failover wire tests: one testkit server, the real `openai` or
 * `@anthropic-ai/sdk` client over it, Keel on the fake clock with a token budget, and the
 * comparison of what the budget charged with what the server says it served.
 */
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { createAnthropicProvider } from '@keel/anthropic';
import { createOpenAIProvider } from '@keel/openai';
import { createFakeClock, type FakeClock, type TestServer } from '@keel/testkit';
import {
  budgetKey,
  createInMemoryBudgetStore,
  createKeel,
  createTokenCounter,
  estimateTextTokens,
  estimateTokens,
  roundUsd,
  type CountableMessage,
  type FeatureConfig,
  type KeelEvent,
  type KeelOptions,
  type PriceTableInput,
  type Provider,
  type Usage,
} from '@keel/core';

export interface WireCase {
  readonly name: 'openai' | 'anthropic';
  provider(server: TestServer): Provider;
  /** Three models of this provider: [primary, fallback, another]. */
  readonly models: readonly [string, string, string];
}

export const WIRES: readonly WireCase[] = [
  {
    name: 'openai',
    provider: (server) => createOpenAIProvider({ client: new OpenAI({ apiKey: 'sk-test', baseURL: `${server.url}/v1` }) }),
    models: ['gpt-4o', 'gpt-4o-mini', 'gpt-4.1'],
  },
  {
    name: 'anthropic',
    provider: (server) => createAnthropicProvider({ client: new Anthropic({ apiKey: 'sk-ant-test', baseURL: server.url }) }),
    models: ['claude-haiku-4-5', 'claude-sonnet-4', 'claude-opus-4-1'],
  },
];

const LIMIT = 1_000_000;
const KEY = budgetKey('feature', 'tokens', 'day', { feature: 'f' })!;

/** A Keel over `wire`'s provider with feature `f` (a token budget, 200 output tokens) on the fake clock. */
export function keelOver(wire: WireCase, server: TestServer, feature: Partial<FeatureConfig>, options: Partial<KeelOptions> = {}) {
  const clock: FakeClock = createFakeClock();
  const store = createInMemoryBudgetStore({ clock });
  const events: KeelEvent[] = [];
  const provider = wire.provider(server);
  const keel = createKeel({
    providers: [provider],
    features: {
      f: {
        models: wire.models.slice(0, 2).map((model) => ({ provider: provider.id, model })),
        maxTokens: 200,
        budget: { limits: [{ scope: 'feature', unit: 'tokens', limit: LIMIT, window: 'day' }] },
        ...feature,
      },
    },
    defaults: { breaker: { minimumAttempts: 1_000, consecutiveFailures: 1_000 } },
    budgetStore: store,
    clock,
    onEvent: (event) => events.push(event),
    ...options,
  });
  /** Tokens the budget committed, held ones included (a settled call holds none). */
  const charged = async () => {
    const [line] = await store.usage([{ key: KEY, unit: 'tokens', limit: LIMIT, window: 'day' }], clock.now());
    return line!.committed + line!.held;
  };
  /** Tokens the server counted as served, over every request. */
  const served = () => server.requests.reduce((sum, request) => sum + request.served.inputTokens + request.served.outputTokens, 0);
  return { keel, clock, events, provider, charged, served };
}

/** The model each request asked for, in arrival order. */
export const modelsAsked = (server: TestServer) => server.requests.map((request) => (request.body as { model?: string }).model);

/** USD per million tokens in the accounting tests: distinct input and output prices, so a swap shows. */
const PRICE = { input: 1, output: 3 };

/** Every model of `wire` at {@link PRICE}: `keelOver(wire, server, feature, { pricing: pricingFor(wire) })`. */
export const pricingFor = (wire: WireCase): PriceTableInput => ({ [wire.name]: Object.fromEntries(wire.models.map((model) => [model, PRICE])) });

/** What one leg costs at {@link PRICE}, as Keel reports costs. */
export const usdAt = (usage: Pick<Usage, 'inputTokens' | 'outputTokens'>) => roundUsd((usage.inputTokens * PRICE.input + usage.outputTokens * PRICE.output) / 1e6);

const counter = createTokenCounter();

/**
 * What Keel charges a leg that broke without usage: the prompt it sent and the text it received,
 * counted exactly where Keel has the model's tokenizer (OpenAI: tiktoken, chat framing included),
 * by the tokenizer-free estimate where it has none (Claude).
 */
export function brokenLegUsage(wire: WireCase, model: string, messages: readonly CountableMessage[], text: string): Usage {
  if (wire.name === 'anthropic') return { inputTokens: estimateTokens(messages), outputTokens: estimateTextTokens(text) };
  return { inputTokens: counter.exact(model, messages)!, outputTokens: counter.exactText(model, text)! };
}

/** The usage the server reported for request `index` (its truth: the testkit reports what it served). */
export function reportedUsage(server: TestServer, index: number): Usage {
  const { inputTokens, outputTokens } = server.requests[index]!.served;
  return { inputTokens, outputTokens };
}

export const tokensOf = (usage: Pick<Usage, 'inputTokens' | 'outputTokens'>) => usage.inputTokens + usage.outputTokens;
