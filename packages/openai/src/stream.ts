import type { ChatCompletionChunk, ChatCompletionCreateParamsStreaming } from 'openai/resources/chat/completions';
import type { Stream } from 'openai/streaming';
import type { CallContext, ProviderRequest, ProviderStreamPart } from '@keel/core';
import { incompleteStreamError, refusalError } from './adapter-errors.js';
import { buildBody } from './build-request.js';
import type { KeelClient } from './client.js';
import { mapOpenAIError, type ErrorContext } from './map-error.js';
import { mapFinishReason, mapUsage } from './map-response.js';

/**
 * One streamed chat completion. Stopping iteration early, or aborting `context.signal`, aborts
 * the HTTP request. Throws only KeelErrors.
 */
export async function* stream(
  { client, requestOptions }: KeelClient,
  errorContext: ErrorContext,
  request: ProviderRequest,
  context: CallContext,
): AsyncGenerator<ProviderStreamPart, void, undefined> {
  const base = buildBody(request);
  const streamOptions = (base['stream_options'] ?? {}) as Record<string, unknown>;
  // `extra` is untyped by design; the API validates it.
  const body = {
    ...base,
    stream: true,
    stream_options: { ...streamOptions, include_usage: true },
  } as ChatCompletionCreateParamsStreaming;

  let upstream: Stream<ChatCompletionChunk> | undefined;
  let finished = false;
  let ended = false;
  let sentOutput = false;
  let text = '';
  try {
    upstream = await client.chat.completions.create(body, requestOptions(context.signal));
    for await (const chunk of upstream) {
      const hasOutput = carriesOutput(chunk);
      sentOutput ||= hasOutput;
      for (const choice of chunk.choices ?? []) {
        const { delta } = choice;
        if (delta?.refusal) throw refusalError(errorContext);
        if (delta?.content) {
          text += delta.content;
          yield { type: 'text', text: delta.content };
        }
        if (choice.finish_reason) {
          finished = true;
          yield { type: 'finish', finishReason: mapFinishReason(choice.finish_reason), model: chunk.model };
        }
      }
      const usage = mapUsage(chunk.usage);
      if (usage) yield { type: 'usage', usage };
      // The raw chunk comes after its parsed parts, so Keel charges a chunk's text to the
      // budget before the drop-in hands the chunk out.
      if (request.includeRaw) yield { type: 'raw', chunk, content: hasOutput };
    }
    // The SDK ends iteration quietly when the signal aborts, so check before trusting the end:
    // an abort that lands after the finish chunk (while waiting for usage) still wins.
    if (context.signal.aborted) throw mapOpenAIError(context.signal.reason, errorContext);
    if (!finished) throw incompleteStreamError(errorContext, text, sentOutput);
    ended = true;
  } catch (error) {
    throw mapOpenAIError(error, errorContext);
  } finally {
    // Covers an early `return()` from the consumer and every throw: leaving the SDK's
    // iterator already aborts, this makes it explicit. A stream read to its end needs nothing.
    if (!ended) upstream?.controller.abort();
  }
}

/** Whether a chunk carries model output (text or tool-call deltas): the stream's commit point. */
function carriesOutput(chunk: ChatCompletionChunk): boolean {
  return (chunk.choices ?? []).some(
    ({ delta }) => Boolean(delta?.content) || (delta?.tool_calls?.length ?? 0) > 0 || Boolean(delta?.function_call),
  );
}
