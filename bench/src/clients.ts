/**
 * The clients being compared, each built once per transport (the instant `fetch`, or the
 * loopback server through the default `fetch`). Every client makes the same chat request — one
 * user message, 256 output tokens at most, the same model — and reads the whole answer, so what
 * separates one client from the raw SDK is that client's own work. docs/benchmarks.md lists what
 * each one configures.
 */
import OpenAI from 'openai';
import CircuitBreaker from 'opossum';
import pRetry from 'p-retry';
import { circuitBreaker, ExponentialBackoff, handleAll, retry, SamplingBreaker, timeout, TimeoutStrategy, wrap } from 'cockatiel';
import { generateText, streamText } from 'ai';
import { createOpenAI } from '@ai-sdk/openai';
import { ChatOpenAI } from '@langchain/openai';
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
const API_KEY = 'sk-bench';

const RETRY = { maxAttempts: POLICY.attempts, baseDelayMs: POLICY.baseDelayMs, maxDelayMs: POLICY.maxDelayMs };
const TIMEOUTS = { totalMs: POLICY.totalTimeoutMs, attemptMs: POLICY.attemptTimeoutMs, firstTokenMs: 5_000, idleMs: 5_000 };
/** A feature token budget far above what a run spends: every call reserves and settles, none is refused. */
const TOKEN_BUDGET: FeatureConfig['budget'] = { limits: [{ scope: 'feature', unit: 'tokens', limit: 1e12, window: 'day' }] };

const sdkClient = (transport: Transport) => new OpenAI({ apiKey: API_KEY, baseURL: transport.baseURL, fetch: transport.fetch });
const rawParams = (messages: readonly UserMessage[]) => ({ model: MODEL, messages: [...messages], max_completion_tokens: MAX_TOKENS });

async function readSdkStream(stream: AsyncIterable<OpenAI.Chat.Completions.ChatCompletionChunk>): Promise<string> {
  let text = '';
  for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
  return text;
}

function rawSdk(transport: Transport): Client {
  const client = sdkClient(transport);
  return {
    id: 'raw',
    label: 'openai SDK, raw',
    chat: async (messages) => (await client.chat.completions.create(rawParams(messages))).choices[0]?.message.content ?? '',
    stream: async (messages) =>
      readSdkStream(await client.chat.completions.create({ ...rawParams(messages), stream: true, stream_options: { include_usage: true } })),
    close() {},
  };
}

function rawSdkWithSignal(transport: Transport): Client {
  const client = sdkClient(transport);
  const signal = () => ({ signal: new AbortController().signal });
  return {
    id: 'raw-signal',
    label: 'openai SDK + AbortSignal',
    chat: async (messages) => (await client.chat.completions.create(rawParams(messages), signal())).choices[0]?.message.content ?? '',
    stream: async (messages) =>
      readSdkStream(
        await client.chat.completions.create({ ...rawParams(messages), stream: true, stream_options: { include_usage: true } }, signal()),
      ),
    close() {},
  };
}

/** p-retry outside an opossum breaker (whose own timeout rejects a slow call), around the raw SDK. */
function opossumPRetry(transport: Transport): Client {
  const client = sdkClient(transport);
  const breakerOptions = {
    timeout: POLICY.attemptTimeoutMs,
    errorThresholdPercentage: POLICY.breaker.failureRatio * 100,
    volumeThreshold: POLICY.breaker.minimumAttempts,
    rollingCountTimeout: POLICY.breaker.windowMs,
    resetTimeout: POLICY.breaker.halfOpenAfterMs,
  };
  const chatBreaker = new CircuitBreaker(
    (messages: readonly UserMessage[]) => client.chat.completions.create(rawParams(messages)),
    breakerOptions,
  );
  const streamBreaker = new CircuitBreaker(
    (messages: readonly UserMessage[]) =>
      client.chat.completions.create({ ...rawParams(messages), stream: true, stream_options: { include_usage: true } }),
    breakerOptions,
  );
  const retrying = { retries: POLICY.attempts - 1, minTimeout: POLICY.baseDelayMs, maxTimeout: POLICY.maxDelayMs };
  return {
    id: 'opossum-p-retry',
    label: 'opossum + p-retry around the SDK',
    chat: async (messages) => (await pRetry(() => chatBreaker.fire(messages), retrying)).choices[0]?.message.content ?? '',
    stream: async (messages) => readSdkStream(await pRetry(() => streamBreaker.fire(messages), retrying)),
    close() {
      chatBreaker.shutdown();
      streamBreaker.shutdown();
    },
  };
}

/** cockatiel: retry outside a sampling breaker outside a cooperative timeout, around the raw SDK. */
function cockatielStack(transport: Transport): Client {
  const client = sdkClient(transport);
  // One breaker for both call shapes; a stream's timeout must not abort it once it is open
  // (cockatiel aborts the signal when `execute` returns, unless told not to).
  const breaker = circuitBreaker(handleAll, {
    halfOpenAfter: POLICY.breaker.halfOpenAfterMs,
    breaker: new SamplingBreaker({ threshold: POLICY.breaker.failureRatio, duration: POLICY.breaker.windowMs }),
  });
  const stack = (abortOnReturn: boolean) =>
    wrap(
      retry(handleAll, {
        maxAttempts: POLICY.attempts - 1,
        backoff: new ExponentialBackoff({ initialDelay: POLICY.baseDelayMs, maxDelay: POLICY.maxDelayMs }),
      }),
      breaker,
      timeout(POLICY.attemptTimeoutMs, { strategy: TimeoutStrategy.Cooperative, abortOnReturn }),
    );
  const policy = stack(true);
  const streamPolicy = stack(false);
  return {
    id: 'cockatiel',
    label: 'cockatiel retry + breaker + timeout',
    chat: async (messages) =>
      (await policy.execute(({ signal }) => client.chat.completions.create(rawParams(messages), { signal }))).choices[0]?.message
        .content ?? '',
    stream: async (messages) =>
      readSdkStream(
        await streamPolicy.execute(({ signal }) =>
          client.chat.completions.create({ ...rawParams(messages), stream: true, stream_options: { include_usage: true } }, { signal }),
        ),
      ),
    close() {},
  };
}

/** The Vercel AI SDK with its OpenAI provider on the Chat Completions API, as configured out of the box (2 retries). */
function vercelAi(transport: Transport): Client {
  const openai = createOpenAI({ apiKey: API_KEY, baseURL: transport.baseURL, fetch: transport.fetch });
  const model = openai.chat(MODEL);
  return {
    id: 'ai-sdk',
    label: 'Vercel AI SDK generateText',
    chat: async (messages) =>
      (await generateText({ model, messages: [...messages], maxOutputTokens: MAX_TOKENS, maxRetries: POLICY.attempts - 1 })).text,
    stream: async (messages) => {
      const result = streamText({ model, messages: [...messages], maxOutputTokens: MAX_TOKENS, maxRetries: POLICY.attempts - 1 });
      let text = '';
      for await (const delta of result.textStream) text += delta;
      return text;
    },
    close() {},
  };
}

/** LangChain.js `ChatOpenAI` (its own `openai` client inside, its AsyncCaller retries). */
function langChain(transport: Transport): Client {
  const model = new ChatOpenAI({
    model: MODEL,
    apiKey: API_KEY,
    maxTokens: MAX_TOKENS,
    maxRetries: POLICY.attempts - 1,
    timeout: POLICY.attemptTimeoutMs,
    configuration: { baseURL: transport.baseURL, fetch: transport.fetch },
  });
  const toLangChain = (messages: readonly UserMessage[]) => messages.map((m) => ({ role: m.role, content: m.content }));
  return {
    id: 'langchain',
    label: 'LangChain.js ChatOpenAI',
    chat: async (messages) => String((await model.invoke(toLangChain(messages))).content),
    stream: async (messages) => {
      let text = '';
      for await (const chunk of await model.stream(toLangChain(messages))) text += String(chunk.content);
      return text;
    },
    close() {},
  };
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

function keelChat(transport: Transport): Client {
  const keel = createKeel(keelOptions(createOpenAIProvider({ client: sdkClient(transport) })));
  return keelClient(keel, 'keel', 'keel.chat');
}

function keelWrap(transport: Transport): Client {
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

/** Every client, the raw SDK first (the baseline of every comparison). */
export const CLIENT_FACTORIES: readonly ((transport: Transport) => Client)[] = [
  rawSdk,
  rawSdkWithSignal,
  opossumPRetry,
  vercelAi,
  cockatielStack,
  langChain,
  keelChat,
  keelWrap,
];

/** The Keel clients the profile runs (`pnpm bench:profile`). */
export const KEEL_FACTORIES = { keel: keelChat, wrap: keelWrap } as const;

export const BASELINE = 'raw';
