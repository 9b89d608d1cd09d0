/**
 * The clients being compared, each built once per transport (the instant `fetch`, or the
 * loopback server through the default `fetch`). Every client makes the same chat request — one
 * user message, 256 output tokens at most, the same model — and reads the whole answer, so what
 * separates one client from the raw SDK is that client's own work. docs/benchmarks.md lists what
 * each one configures.
 */
import CircuitBreaker from 'opossum';
import pRetry from 'p-retry';
import { circuitBreaker, ExponentialBackoff, handleAll, retry, SamplingBreaker, timeout, TimeoutStrategy, wrap } from 'cockatiel';
import { generateText, streamText } from 'ai';
import { createOpenAI } from '@ai-sdk/openai';
import { ChatOpenAI } from '@langchain/openai';
import { MAX_TOKENS, MODEL, type UserMessage } from './fixtures.js';
import {
  API_KEY,
  keelChat,
  keelWrap,
  POLICY,
  rawParams,
  rawSdkClient,
  readSdkStream,
  sdkClient,
  type Client,
  type Transport,
} from './keel-clients.js';

export type { Client, Transport } from './keel-clients.js';

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
    chat: async (messages) => (await model.invoke(toLangChain(messages))).text,
    stream: async (messages) => {
      let text = '';
      for await (const chunk of await model.stream(toLangChain(messages))) text += chunk.text;
      return text;
    },
    close() {},
  };
}

/** Every client, the raw SDK first (the baseline of every comparison). */
export const CLIENT_FACTORIES: readonly ((transport: Transport) => Client)[] = [
  (transport) => rawSdkClient(transport, false),
  (transport) => rawSdkClient(transport, true),
  opossumPRetry,
  vercelAi,
  cockatielStack,
  langChain,
  keelChat,
  keelWrap,
];


export const BASELINE = 'raw';
