import type OpenAI from 'openai';
import { Stream } from 'openai/core/streaming';
import type {
  ChatCompletion,
  ChatCompletionChunk,
  ChatCompletionCreateParamsBase,
  ChatCompletionCreateParamsNonStreaming,
  ChatCompletionCreateParamsStreaming,
} from 'openai/resources/chat/completions';
import { KeelError, type Keel } from '@keel/core';
import { createOpenAIProvider } from './provider.js';
import { buildWrapKeel, type WithKeel, type WrapOptions } from '@keel/core';
import { asCallerChunk, toKeelRequest, wantsUsage } from './wrap-request.js';
import { openRawStream, unreadStreamRules } from '@keel/core';

export interface WrapOpenAIOptions extends WrapOptions {
  /**
   * Names the provider in breaker keys, events and errors.
   * @default 'openai'
   */
  readonly id?: string | undefined;
}

/**
 * The SDK's per-request options. Only `signal` is used (it becomes the call's signal): Keel owns
 * retries and time, so `maxRetries` and `timeout` are superseded, and per-request `headers` /
 * `query` are not forwarded (set them on the client).
 */
export type OpenAIRequestOptions = NonNullable<Parameters<OpenAI['chat']['completions']['create']>[1]>;

/** `chat.completions.create`, with the SDK's own overloads, through Keel. */
export interface WrappedChatCompletions {
  create(body: ChatCompletionCreateParamsNonStreaming & WithKeel, options?: OpenAIRequestOptions): Promise<ChatCompletion>;
  create(body: ChatCompletionCreateParamsStreaming & WithKeel, options?: OpenAIRequestOptions): Promise<Stream<ChatCompletionChunk>>;
  create(
    body: ChatCompletionCreateParamsBase & WithKeel,
    options?: OpenAIRequestOptions,
  ): Promise<Stream<ChatCompletionChunk> | ChatCompletion>;
}

/** What `wrapOpenAI` returns: the `chat.completions.create` of an OpenAI client, run by Keel. */
export interface WrappedOpenAI {
  readonly chat: { readonly completions: WrappedChatCompletions };
  /** The Keel instance behind the wrapper: `on(listener)` for events, breaker state, `close()`. */
  readonly keel: Keel;
}

/**
 * Wraps an `openai` client so existing `chat.completions.create` calls, streamed or not, run
 * through Keel (retries, circuit breaker, timeouts, fallback) and return the SDK's own
 * `ChatCompletion` / `Stream<ChatCompletionChunk>`. Failures throw a `KeelError`.
 *
 * ```ts
 * const openai = wrapOpenAI(new OpenAI(), { feature: 'support' });
 * ```
 */
export function wrapOpenAI(client: OpenAI, options: WrapOpenAIOptions): WrappedOpenAI {
  const keel = buildWrapKeel(createOpenAIProvider({ client, id: options.id }), options);
  // After buildWrapKeel, which rejects bad timeouts with a KeelError.
  const unreadRule = unreadStreamRules(options);

  function create(body: ChatCompletionCreateParamsNonStreaming & WithKeel, options?: OpenAIRequestOptions): Promise<ChatCompletion>;
  function create(body: ChatCompletionCreateParamsStreaming & WithKeel, options?: OpenAIRequestOptions): Promise<Stream<ChatCompletionChunk>>;
  function create(
    body: ChatCompletionCreateParamsBase & WithKeel,
    options?: OpenAIRequestOptions,
  ): Promise<Stream<ChatCompletionChunk> | ChatCompletion>;
  async function create(
    body: ChatCompletionCreateParamsBase & WithKeel,
    requestOptions?: OpenAIRequestOptions,
  ): Promise<Stream<ChatCompletionChunk> | ChatCompletion> {
    const request = toKeelRequest(body, options.feature);
    const signal = requestOptions?.signal ?? undefined;
    if (body.stream !== true) {
      const result = await keel.chat({ ...request, signal }, { includeRaw: true });
      if (result.raw === undefined) throw new KeelError('server', 'The OpenAI adapter returned no completion');
      return result.raw as ChatCompletion;
    }
    const includeUsage = wantsUsage(body);
    const opened = await openRawStream(
      (streamSignal) => keel.stream({ ...request, signal: streamSignal }, { includeRaw: true, rawOnly: true }),
      signal,
      (chunk) => asCallerChunk(chunk as ChatCompletionChunk, includeUsage),
      unreadRule(request.feature),
    );
    return new Stream(opened.iterator, opened.controller, client);
  }

  return { chat: { completions: { create } }, keel };
}
