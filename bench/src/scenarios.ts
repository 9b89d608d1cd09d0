/**
 * The calls being compared. Every Keel scenario runs the same request as its raw-SDK twin, on
 * an `openai` client built the same way, so the difference between the two is Keel's own work.
 */
import OpenAI from 'openai';
import {
  createKeel,
  createOpenTelemetry,
  type FeatureConfig,
  type Keel,
  type KeelEventListener,
  type KeelOptions,
  type Provider,
} from '@keel/core';
import * as keelOpenAI from '@keel/openai';
import { EXPECTED_TEXT, FALLBACK_MODEL, MAX_TOKENS, MESSAGES, MODEL } from './fixtures.js';
import type { Scenario } from './harness.js';

const FEATURE = 'support';
const RETRY = { maxAttempts: 3, baseDelayMs: 250, maxDelayMs: 4_000 };
const TIMEOUTS = { totalMs: 30_000, attemptMs: 10_000, firstTokenMs: 5_000, idleMs: 5_000 };
const BREAKER = { failureRatio: 0.5, minimumAttempts: 10, windowMs: 10_000, halfOpenAfterMs: 5_000 };

/**
 * Every policy on: retries (3 attempts, with the retry budget), the circuit breaker, the total
 * deadline and the per-attempt / first-token / idle timeouts, a fallback model. On a call that
 * succeeds at once none of them fires; what is measured is what they cost when they don't.
 */
function keelFor(client: OpenAI | Provider, extra: Partial<KeelOptions> = {}, feature: Partial<FeatureConfig> = {}): Keel {
  const provider = client instanceof OpenAI ? keelOpenAI.createOpenAIProvider({ client }) : client;
  return createKeel({
    providers: [provider],
    features: {
      [FEATURE]: {
        models: [
          { provider: provider.id, model: MODEL },
          { provider: provider.id, model: FALLBACK_MODEL },
        ],
        retry: RETRY,
        timeouts: TIMEOUTS,
        ...feature,
      },
    },
    defaults: { breaker: BREAKER },
    ...extra,
  });
}

/**
 * Budgets and rate limits that every call reserves against and settles, with limits far above
 * what the benchmark spends, so no call is ever refused: the cost of the accounting itself
 * (in-memory stores, token upper bound, price lookup).
 */
const BUDGETED: Partial<FeatureConfig> = {
  maxTokens: MAX_TOKENS,
  budget: {
    limits: [
      { scope: 'user', unit: 'tokens', limit: 1e12, window: 'day' },
      { scope: 'feature', unit: 'usd', limit: 1e9, window: 'month' },
    ],
    perRequest: { maxUsd: 1 },
  },
  rateLimits: [{ scope: 'user', requestsPerMinute: 1_000_000_000, tokensPerMinute: 1_000_000_000_000 }],
};

/** A Provider that answers at once with no SDK under it: what Keel's pipeline costs alone. */
const noopProvider: Provider = {
  id: 'noop',
  chat: async (request) => ({
    text: EXPECTED_TEXT,
    finishReason: 'stop',
    usage: { inputTokens: 31, outputTokens: 10 },
    model: request.model,
  }),
  async *stream() {
    yield { type: 'text', text: EXPECTED_TEXT };
    yield { type: 'finish', finishReason: 'stop' };
  },
};

const rawParams = () => ({ model: MODEL, messages: [...MESSAGES], max_completion_tokens: MAX_TOKENS });
const keelRequest = () => ({ feature: FEATURE, user: 'u-42', messages: [...MESSAGES], maxTokens: MAX_TOKENS });

function expectText(text: string | null | undefined, scenario: string): void {
  if (text !== EXPECTED_TEXT) throw new Error(`${scenario}: read ${JSON.stringify(text)}, expected the whole reply`);
}

async function rawStreamText(client: OpenAI, signal?: AbortSignal): Promise<string> {
  const stream = await client.chat.completions.create(
    { ...rawParams(), stream: true, stream_options: { include_usage: true } },
    signal ? { signal } : undefined,
  );
  let text = '';
  for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
  return text;
}

/**
 * Keel's OpenAI Provider called directly, with what the pipeline would hand it (a fresh signal
 * per attempt): the SDK call plus the adapter's mapping, without retry, breaker or timeout.
 */
function adapterCaller(client: OpenAI) {
  const adapter = keelOpenAI.createOpenAIProvider({ client });
  return () =>
    adapter.chat(
      { model: MODEL, messages: MESSAGES, maxTokens: MAX_TOKENS },
      { signal: new AbortController().signal, deadline: Date.now() + TIMEOUTS.totalMs, attempt: 1 },
    );
}

export interface ScenarioSet {
  readonly scenarios: readonly Scenario[];
  /** Called once before measuring: every scenario must read the whole reply. */
  check(): Promise<void>;
  close(): void;
}

/** Scenarios on an `openai` client whose `fetch` answers at once: CPU work only. */
export function cpuScenarios(fetchImpl: typeof fetch): ScenarioSet {
  const client = new OpenAI({ apiKey: 'sk-bench', baseURL: 'http://bench.invalid/v1', fetch: fetchImpl });
  const keel = keelFor(client);
  const listened = keelFor(client);
  let events = 0;
  const count: KeelEventListener = () => void events++;
  listened.on(count);
  // No OpenTelemetry SDK is registered, so this is the API's no-op tracer and meter: the cost
  // of Keel's telemetry listener itself, not of an exporter.
  const telemetry = createOpenTelemetry();
  const traced = keelFor(client, { telemetry });
  const pipeline = keelFor(noopProvider);
  const adapterCall = adapterCaller(client);
  let budgeted: Keel | undefined;
  try {
    budgeted = keelFor(client, {}, BUDGETED);
  } catch (error) {
    process.stdout.write(`(skipping the budgets scenario: ${String(error)})\n`);
  }
  const wrapOpenAI = (keelOpenAI as Record<string, unknown>)['wrapOpenAI'] as WrapOpenAI | undefined;
  const wrapped = wrapOpenAI?.(client, {
    feature: FEATURE,
    features: { [FEATURE]: { fallbackModels: [FALLBACK_MODEL], retry: RETRY, timeouts: TIMEOUTS } },
    defaults: { breaker: BREAKER },
  });

  const scenarios: Scenario[] = [
    { id: 'raw', label: 'openai SDK, raw', call: () => client.chat.completions.create(rawParams()) },
    {
      id: 'raw-signal',
      label: 'openai SDK + AbortSignal',
      call: () => client.chat.completions.create(rawParams(), { signal: new AbortController().signal }),
    },
    { id: 'adapter', label: '@keel/openai Provider, no pipeline', call: adapterCall },
    { id: 'keel', label: 'keel.chat, all policies', call: () => keel.chat(keelRequest()) },
    { id: 'keel-listener', label: 'keel.chat + event listener', call: () => listened.chat(keelRequest()) },
    { id: 'keel-otel', label: 'keel.chat + OTel (no-op API)', call: () => traced.chat(keelRequest()) },
  ];
  if (budgeted) {
    const keelBudgeted = budgeted;
    scenarios.push({ id: 'keel-budgets', label: 'keel.chat + budgets, rate limits', call: () => keelBudgeted.chat(keelRequest()) });
  }
  if (wrapped) {
    scenarios.push({ id: 'wrap', label: 'wrapOpenAI drop-in', call: () => wrapped.chat.completions.create(rawParams()) });
  }
  scenarios.push({ id: 'pipeline', label: 'Keel pipeline alone (no SDK)', call: () => pipeline.chat(keelRequest()) });

  const streams: Scenario[] = [
    { id: 'raw-stream', label: 'openai SDK stream, read fully', call: () => rawStreamText(client) },
    { id: 'keel-stream', label: 'keel.stream().result()', call: () => keel.stream(keelRequest()).result() },
  ];

  return {
    scenarios: [...scenarios, ...streams],
    async check() {
      expectText((await client.chat.completions.create(rawParams())).choices[0]?.message.content, 'raw');
      expectText((await adapterCall()).text, 'adapter');
      expectText((await keel.chat(keelRequest())).text, 'keel');
      expectText((await listened.chat(keelRequest())).text, 'keel-listener');
      if (events === 0) throw new Error('keel-listener: the listener saw no events');
      expectText((await traced.chat(keelRequest())).text, 'keel-otel');
      if (budgeted) expectText((await budgeted.chat(keelRequest())).text, 'keel-budgets');
      expectText((await pipeline.chat(keelRequest())).text, 'pipeline');
      if (wrapped) expectText((await wrapped.chat.completions.create(rawParams())).choices[0]?.message.content, 'wrap');
      expectText(await rawStreamText(client), 'raw-stream');
      expectText((await keel.stream(keelRequest()).result()).text, 'keel-stream');
    },
    close() {
      keel.close();
      listened.close();
      traced.close();
      budgeted?.close();
      pipeline.close();
      wrapped?.keel.close();
    },
  };
}

/** Scenarios against a real loopback HTTP server (the testkit's), through the SDK's default fetch. */
export function loopbackScenarios(baseURL: string): ScenarioSet {
  const client = new OpenAI({ apiKey: 'sk-bench', baseURL });
  const keel = keelFor(client);
  const adapterCall = adapterCaller(client);
  return {
    scenarios: [
      { id: 'loopback-raw', label: 'openai SDK, raw', call: () => client.chat.completions.create(rawParams()) },
      {
        id: 'loopback-raw-signal',
        label: 'openai SDK + AbortSignal',
        call: () => client.chat.completions.create(rawParams(), { signal: new AbortController().signal }),
      },
      { id: 'loopback-adapter', label: '@keel/openai Provider, no pipeline', call: adapterCall },
      { id: 'loopback-keel', label: 'keel.chat, all policies', call: () => keel.chat(keelRequest()) },
      { id: 'loopback-raw-stream', label: 'openai SDK stream, read fully', call: () => rawStreamText(client) },
      { id: 'loopback-keel-stream', label: 'keel.stream().result()', call: () => keel.stream(keelRequest()).result() },
    ],
    async check() {
      expectText((await client.chat.completions.create(rawParams())).choices[0]?.message.content, 'loopback-raw');
      expectText((await adapterCall()).text, 'loopback-adapter');
      expectText((await keel.chat(keelRequest())).text, 'loopback-keel');
      expectText(await rawStreamText(client), 'loopback-raw-stream');
      expectText((await keel.stream(keelRequest()).result()).text, 'loopback-keel-stream');
    },
    close() {
      keel.close();
    },
  };
}

/**
 * `wrapOpenAI` from `@keel/openai`, looked up at run time: the drop-in wrapper is measured when
 * the installed `@keel/openai` has it, and skipped otherwise.
 */
type WrapOpenAI = (
  client: OpenAI,
  options: {
    feature: string;
    features: Record<string, { fallbackModels: string[]; retry: typeof RETRY; timeouts: typeof TIMEOUTS }>;
    defaults: { breaker: typeof BREAKER };
  },
) => {
  chat: { completions: { create(body: ReturnType<typeof rawParams>): Promise<OpenAI.Chat.Completions.ChatCompletion> } };
  keel: Keel;
};
