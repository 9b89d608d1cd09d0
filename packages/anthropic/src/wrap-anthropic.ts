import type Anthropic from '@anthropic-ai/sdk';
import { Stream } from '@anthropic-ai/sdk/core/streaming';
import type {
  Message,
  MessageCreateParamsBase,
  MessageCreateParamsNonStreaming,
  MessageCreateParamsStreaming,
  RawMessageStreamEvent,
} from '@anthropic-ai/sdk/resources/messages';
import { KeelError, type Keel } from '@keel/core';
import { createAnthropicProvider } from './provider.js';
import { buildWrapKeel, type WithKeel, type WrapOptions } from '@keel/core';
import { toKeelRequest } from './wrap-request.js';
import { openRawStream, unreadStreamRules } from '@keel/core';

export interface WrapAnthropicOptions extends WrapOptions {
  /**
   * Names the provider in breaker keys, events and errors.
   * @default 'anthropic'
   */
  readonly id?: string | undefined;
}

/**
 * The SDK's per-request options. Only `signal` is used (it becomes the call's signal): Keel owns
 * retries and time, so `maxRetries` and `timeout` are superseded, and per-request `headers` /
 * `query` are not forwarded (set them on the client).
 */
export type AnthropicRequestOptions = NonNullable<Parameters<Anthropic['messages']['create']>[1]>;

/** `messages.create`, with the SDK's own overloads, through Keel. */
export interface WrappedMessages {
  create(body: MessageCreateParamsNonStreaming & WithKeel, options?: AnthropicRequestOptions): Promise<Message>;
  create(body: MessageCreateParamsStreaming & WithKeel, options?: AnthropicRequestOptions): Promise<Stream<RawMessageStreamEvent>>;
  create(body: MessageCreateParamsBase & WithKeel, options?: AnthropicRequestOptions): Promise<Stream<RawMessageStreamEvent> | Message>;
}

/** What `wrapAnthropic` returns: the `messages.create` of an Anthropic client, run by Keel. */
export interface WrappedAnthropic {
  readonly messages: WrappedMessages;
  /** The Keel instance behind the wrapper: `on(listener)` for events, breaker state, `close()`. */
  readonly keel: Keel;
}

/**
 * Wraps an `@anthropic-ai/sdk` client so existing `messages.create` calls, streamed or not, run
 * through Keel (retries, circuit breaker, timeouts, fallback) and return the SDK's own `Message`
 * / `Stream<RawMessageStreamEvent>`. Failures throw a `KeelError`.
 *
 * ```ts
 * const anthropic = wrapAnthropic(new Anthropic(), { feature: 'support' });
 * ```
 */
export function wrapAnthropic(client: Anthropic, options: WrapAnthropicOptions): WrappedAnthropic {
  const keel = buildWrapKeel(createAnthropicProvider({ client, id: options.id }), options);
  // After buildWrapKeel, which rejects bad timeouts with a KeelError.
  const unreadRule = unreadStreamRules(options);

  function create(body: MessageCreateParamsNonStreaming & WithKeel, options?: AnthropicRequestOptions): Promise<Message>;
  function create(body: MessageCreateParamsStreaming & WithKeel, options?: AnthropicRequestOptions): Promise<Stream<RawMessageStreamEvent>>;
  function create(body: MessageCreateParamsBase & WithKeel, options?: AnthropicRequestOptions): Promise<Stream<RawMessageStreamEvent> | Message>;
  async function create(
    body: MessageCreateParamsBase & WithKeel,
    requestOptions?: AnthropicRequestOptions,
  ): Promise<Stream<RawMessageStreamEvent> | Message> {
    const request = toKeelRequest(body, options.feature);
    const signal = requestOptions?.signal ?? undefined;
    if (body.stream !== true) {
      const result = await keel.chat({ ...request, signal }, { includeRaw: true });
      if (result.raw === undefined) throw new KeelError('server', 'The Anthropic adapter returned no message');
      return result.raw as Message;
    }
    const opened = await openRawStream(
      (streamSignal) => keel.stream({ ...request, signal: streamSignal }, { includeRaw: true, rawOnly: true }),
      signal,
      (event) => event as RawMessageStreamEvent,
      unreadRule(request.feature),
    );
    return new Stream(opened.iterator, opened.controller, client);
  }

  return { messages: { create }, keel };
}
