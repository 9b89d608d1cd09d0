import type { ChatCompletionChunk, ChatCompletionCreateParamsStreaming } from 'openai/resources/chat/completions';
import type { Stream } from 'openai/streaming';
import type { CallContext, ProviderRequest, ProviderStreamPart } from '@keel/core';
import { incompleteStreamError, refusalError } from './adapter-errors.js';
import { buildBody } from './build-request.js';
import type { KeelClient } from './client.js';
import { mapOpenAIError, type ErrorContext } from './map-error.js';
import { mapFinishReason, mapUsage } from './map-response.js';

const DONE: IteratorReturnResult<undefined> = { done: true, value: undefined };

/**
 * One streamed chat completion. Stopping iteration early, or aborting `context.signal`, aborts
 * the HTTP request. Throws only KeelErrors.
 */
export function stream(keelClient: KeelClient, errorContext: ErrorContext, request: ProviderRequest, context: CallContext): AsyncIterable<ProviderStreamPart> {
  return { [Symbol.asyncIterator]: () => new CompletionParts(keelClient, errorContext, request, context) };
}

/**
 * The parts of a streamed completion, read from the SDK's `Stream` by an iterator written by
 * hand: an async generator here would cost every chunk an extra await and yield on top of the
 * SDK's own (this runs once per chunk of every stream). One chunk can carry several parts;
 * they are queued and handed on one per `next`. Read one `next` at a time, as Keel does.
 */
class CompletionParts implements AsyncIterator<ProviderStreamPart, undefined> {
  readonly #keelClient: KeelClient;
  readonly #errorContext: ErrorContext;
  readonly #request: ProviderRequest;
  readonly #context: CallContext;
  // Parts of the last chunk not yet handed on.
  readonly #queued: ProviderStreamPart[] = [];
  #upstream: Stream<ChatCompletionChunk> | undefined;
  #chunks: AsyncIterator<ChatCompletionChunk> | undefined;
  // Read to its end, failed or left: every later `next` is done.
  #over = false;
  #finished = false;
  #sentOutput = false;
  #text = '';

  constructor(keelClient: KeelClient, errorContext: ErrorContext, request: ProviderRequest, context: CallContext) {
    this.#keelClient = keelClient;
    this.#errorContext = errorContext;
    this.#request = request;
    this.#context = context;
  }

  async next(): Promise<IteratorResult<ProviderStreamPart, undefined>> {
    const queued = this.#queued.shift();
    if (queued) return { value: queued, done: false };
    if (this.#over) return DONE;
    try {
      const chunks = this.#chunks ?? (await this.#open());
      for (;;) {
        const step = await chunks.next();
        if (step.done) {
          this.#checkEnd();
          this.#over = true;
          return DONE;
        }
        this.#read(step.value);
        const part = this.#queued.shift();
        if (part) return { value: part, done: false };
      }
    } catch (error) {
      this.#stop();
      throw mapOpenAIError(error, this.#errorContext);
    }
  }

  /** Leaving early aborts the request (the SDK's iterator would too); a stream read to its end needs nothing. */
  async return(): Promise<IteratorResult<ProviderStreamPart, undefined>> {
    this.#stop();
    return DONE;
  }

  async #open(): Promise<AsyncIterator<ChatCompletionChunk>> {
    const { client, requestOptions } = this.#keelClient;
    const base = buildBody(this.#request);
    const streamOptions = (base['stream_options'] ?? {}) as Record<string, unknown>;
    // `extra` is untyped by design; the API validates it.
    const body = {
      ...base,
      stream: true,
      stream_options: { ...streamOptions, include_usage: true },
    } as ChatCompletionCreateParamsStreaming;
    this.#upstream = await client.chat.completions.create(body, requestOptions(this.#context.signal));
    return (this.#chunks = this.#upstream[Symbol.asyncIterator]());
  }

  /**
   * The parts of one chunk, in order: text and finish per choice, then usage. With includeRaw
   * the chunk itself comes after its parts, so Keel charges a chunk's text to the budget before
   * the drop-in hands the chunk out: on the last part when that is text (the usual chunk, one
   * text delta: one part, not two), else as a `raw` part of its own.
   */
  #read(chunk: ChatCompletionChunk): void {
    // Whether the chunk carries model output (text or tool-call deltas): the stream's commit point.
    let hasOutput = false;
    const choices = chunk.choices ?? [];
    const usage = mapUsage(chunk.usage);
    const includeRaw = this.#request.includeRaw === true;
    let rawCarried = false;
    for (let i = 0; i < choices.length; i++) {
      const choice = choices[i]!;
      const { delta } = choice;
      if (delta?.refusal) throw refusalError(this.#errorContext);
      if (delta && (delta.content || (delta.tool_calls?.length ?? 0) > 0 || delta.function_call)) hasOutput = true;
      if (delta?.content) {
        this.#text += delta.content;
        const carriesChunk = includeRaw && usage === undefined && !choice.finish_reason && i === choices.length - 1;
        this.#queued.push(carriesChunk ? { type: 'text', text: delta.content, raw: chunk } : { type: 'text', text: delta.content });
        rawCarried = carriesChunk;
      }
      if (choice.finish_reason) {
        this.#finished = true;
        this.#queued.push({ type: 'finish', finishReason: mapFinishReason(choice.finish_reason), model: chunk.model });
      }
    }
    this.#sentOutput ||= hasOutput;
    if (usage) this.#queued.push({ type: 'usage', usage });
    if (includeRaw && !rawCarried) this.#queued.push({ type: 'raw', chunk, content: hasOutput });
  }

  /** The SDK ends iteration quietly when the signal aborts, so check before trusting the end. */
  #checkEnd(): void {
    // An abort that lands after the finish chunk (while waiting for usage) still wins.
    const { signal } = this.#context;
    if (signal.aborted) throw mapOpenAIError(signal.reason, this.#errorContext);
    if (!this.#finished) throw incompleteStreamError(this.#errorContext, this.#text, this.#sentOutput);
  }

  /** Ends the stream here: the request is aborted and the SDK's iterator closed. */
  #stop(): void {
    if (this.#over) return;
    this.#over = true;
    this.#queued.length = 0;
    this.#upstream?.controller.abort();
    this.#chunks?.return?.().catch(() => undefined);
  }
}
