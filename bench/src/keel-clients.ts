/**
 * What the Keel clients share with the peers (transport, policy values, the raw request), and the
 * two Keel clients themselves. Kept apart from the peers so that `pnpm bench:profile` loads Keel
 * and the `openai` SDK only.
 */
import OpenAI from 'openai';
import { createKeel, createOpenTelemetry, type FeatureConfig, type Keel, type KeelOptions, type Provider } from '@keel/core';
import { createOpenAIProvider, wrapOpenAI } from '@keel/openai';
import { MAX_TOKENS, MODEL, type UserMessage } from './fixtures.js';

/** Where a client's requests go. */
export interface Transport {
  readonly baseURL: string;
  /** Absent: the runtime's own `fetch` (undici, keep-alive) over a real socket. */
  readonly fetch?: typeof fetch | undefined;
}

export interface Client {
  readonly id: string;
  readonly label: string;
  /** One chat call; resolves with the answer's text once the whole reply has been read. */
  chat(messages: readonly UserMessage[]): Promise<string>;
  /** One streamed call, read to the end; resolves with the text of every delta. */
  stream(messages: readonly UserMessage[]): Promise<string>;
  close(): void;
}

/** The policies every resilient client is given (Keel and the peer stacks alike). */
export const POLICY = {
  /** Attempts in all: the first and two retries. */
  attempts: 3,
  baseDelayMs: 250,
  maxDelayMs: 4_000,
  attemptTimeoutMs: 10_000,
  totalTimeoutMs: 30_000,
  breaker: { failureRatio: 0.5, minimumAttempts: 10, windowMs: 10_000, halfOpenAfterMs: 5_000 },
} as const;

export const FEATURE = 'support';
export const API_KEY = 'sk-bench';

export const RETRY = { maxAttempts: POLICY.attempts, baseDelayMs: POLICY.baseDelayMs, maxDelayMs: POLICY.maxDelayMs };
export const TIMEOUTS = { totalMs: POLICY.totalTimeoutMs, attemptMs: POLICY.attemptTimeoutMs, firstTokenMs: 5_000, idleMs: 5_000 };
/** A feature token budget far above what a run spends: every call reserves and settles, none is refused. */
export const TOKEN_BUDGET: FeatureConfig['budget'] = { limits: [{ scope: 'feature', unit: 'tokens', limit: 1e12, window: 'day' }] };

export const sdkClient = (transport: Transport) => new OpenAI({ apiKey: API_KEY, baseURL: transport.baseURL, fetch: transport.fetch });
export const rawParams = (messages: readonly UserMessage[]) => ({ model: MODEL, messages: [...messages], max_completion_tokens: MAX_TOKENS });

export async function readSdkStream(stream: AsyncIterable<OpenAI.Chat.Completions.ChatCompletionChunk>): Promise<string> {
  let text = '';
  for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
  return text;
}


/** The Keel configuration of the headline rows: retry, breaker, timeouts, a feature token budget, OTel. */
export function keelOptions(provider: Provider, extra: { budget?: boolean; telemetry?: boolean } = {}): KeelOptions {
  const { budget = true, telemetry = true } = extra;
  return {
    providers: [provider],
    features: {
      [FEATURE]: {
        models: [{ provider: provider.id, model: MODEL }],
        retry: RETRY,
        timeouts: TIMEOUTS,
        ...(budget ? { budget: TOKEN_BUDGET, maxTokens: MAX_TOKENS } : {}),
      },
    },
    defaults: { breaker: POLICY.breaker },
    // No OpenTelemetry SDK is registered: the API's no-op tracer and meter, so this is the cost
    // of Keel's telemetry listener itself, not of an exporter.
    ...(telemetry ? { telemetry: createOpenTelemetry() } : {}),
  };
}

export const keelRequest = (messages: readonly UserMessage[]) => ({ feature: FEATURE, messages: [...messages], maxTokens: MAX_TOKENS });

export function keelClient(keel: Keel, id: string, label: string): Client {
  return {
    id,
    label,
    chat: async (messages) => (await keel.chat(keelRequest(messages))).text,
    stream: async (messages) => (await keel.stream(keelRequest(messages)).result()).text,
    close: () => keel.close(),
  };
}

/** `keel.chat` over the SDK, with the headline features or some of them (see keelOptions). */
export function keelVariant(transport: Transport, features: { budget?: boolean; telemetry?: boolean }, id: string, label: string): Client {
  return keelClient(createKeel(keelOptions(createOpenAIProvider({ client: sdkClient(transport) }), features)), id, label);
}

/** The feature-by-feature variants: the profile's targets and rows of the feature group. */
export const keelPolicies = (transport: Transport) => keelVariant(transport, { budget: false, telemetry: false }, 'keel-policies', 'keel.chat: retry, breaker, timeouts');
export const keelBudget = (transport: Transport) => keelVariant(transport, { budget: true, telemetry: false }, 'keel-budget', '… + feature token budget');
export const keelOtel = (transport: Transport) => keelVariant(transport, { budget: false, telemetry: true }, 'keel-otel', '… + OTel (no budget)');

export function keelChat(transport: Transport): Client {
  return keelVariant(transport, {}, 'keel', 'keel.chat');
}

export function keelWrap(transport: Transport): Client {
  const wrapped = wrapOpenAI(sdkClient(transport), {
    feature: FEATURE,
    features: { [FEATURE]: { retry: RETRY, timeouts: TIMEOUTS, budget: TOKEN_BUDGET, maxTokens: MAX_TOKENS } },
    defaults: { breaker: POLICY.breaker },
    keel: { telemetry: createOpenTelemetry() },
  });
  return {
    id: 'wrap',
    label: 'wrapOpenAI',
    chat: async (messages) => (await wrapped.chat.completions.create(rawParams(messages))).choices[0]?.message.content ?? '',
    stream: async (messages) =>
      readSdkStream(await wrapped.chat.completions.create({ ...rawParams(messages), stream: true, stream_options: { include_usage: true } })),
    close: () => wrapped.keel.close(),
  };
}

/** The raw SDK, with or without a fresh AbortSignal per call: the profile's baselines. */
export function rawSdkClient(transport: Transport, withSignal: boolean): Client {
  const client = sdkClient(transport);
  const options = () => (withSignal ? { signal: new AbortController().signal } : undefined);
  return {
    id: withSignal ? 'raw-signal' : 'raw',
    label: withSignal ? 'openai SDK + AbortSignal' : 'openai SDK, raw',
    chat: async (messages) => (await client.chat.completions.create(rawParams(messages), options())).choices[0]?.message.content ?? '',
    stream: async (messages) =>
      readSdkStream(await client.chat.completions.create({ ...rawParams(messages), stream: true, stream_options: { include_usage: true } }, options())),
    close() {},
  };
}

/** The clients the profile runs (`pnpm bench:profile`): the two Keel clients and the raw SDK baselines. */
export const KEEL_FACTORIES = {
  keel: keelChat,
  wrap: keelWrap,
  // keel.chat feature by feature, to profile one feature's cost on its own.
  policies: keelPolicies,
  budget: keelBudget,
  otel: keelOtel,
  raw: (transport: Transport) => rawSdkClient(transport, false),
  'raw-signal': (transport: Transport) => rawSdkClient(transport, true),
} as const;
