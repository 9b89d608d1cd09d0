import type Anthropic from '@anthropic-ai/sdk';
import type {
  MessageCreateParamsStreaming,
  RawContentBlockDelta,
  RawMessageStreamEvent,
} from '@anthropic-ai/sdk/resources/messages';
import type { Stream } from '@anthropic-ai/sdk/streaming';
import type { CallContext, ProviderRequest, ProviderStreamPart } from '@keel/core';
import { incompleteStreamError, refusalError } from './adapter-errors.js';
import { buildBody } from './build-request.js';
import { mapAnthropicError, type ErrorContext } from './map-error.js';
import { REFUSAL_STOP_REASON, mapStopReason, mapUsage, mergeStreamUsage, type AnthropicUsage } from './map-response.js';

/**
 * One streamed message over the raw events of `messages.create({ stream: true })`. Stopping
 * iteration early, or aborting `context.signal`, aborts the HTTP request. Throws only KeelErrors.
 */
export async function* stream(
  client: Anthropic,
  errorContext: ErrorContext,
  request: ProviderRequest,
  context: CallContext,
): AsyncGenerator<ProviderStreamPart, void, undefined> {
  // `extra` is untyped by design; the API validates it.
  const body = { ...buildBody(request), stream: true } as MessageCreateParamsStreaming;

  let upstream: Stream<RawMessageStreamEvent> | undefined;
  let finished = false;
  let ended = false;
  let sentOutput = false;
  let text = '';
  let model = request.model;
  let startUsage: AnthropicUsage | null | undefined;
  try {
    upstream = await client.messages.create(body, { signal: context.signal });
    // `ping` never reaches here (the SDK drops it); `event: error` is thrown by the SDK as an
    // APIError with no status.
    for await (const event of upstream) {
      const hasOutput = carriesOutput(event);
      sentOutput ||= hasOutput;
      switch (event.type) {
        case 'message_start':
          model = event.message.model ?? model;
          startUsage = event.message.usage;
          break;
        case 'content_block_delta': {
          const delta = deltaText(event.delta, request.outputSchema !== undefined);
          if (!delta) break;
          text += delta;
          if (!request.includeRaw) {
            yield { type: 'text', text: delta };
            break;
          }
          // The event rides on its text part (see ProviderStreamPart): one part, not a text and a raw.
          yield { type: 'text', text: delta, raw: event };
          continue;
        }
        case 'message_delta': {
          const reason = event.delta.stop_reason;
          if (reason === REFUSAL_STOP_REASON) throw refusalError(errorContext, event.delta.stop_details?.category);
          // message_delta's usage is cumulative; its input count, when present, is the final one.
          const usage = mapUsage(mergeStreamUsage(startUsage, event.usage));
          if (usage) yield { type: 'usage', usage };
          if (reason) {
            finished = true;
            // With a forced output tool, its `tool_use` stop is the answer's normal end.
            yield { type: 'finish', finishReason: request.outputSchema && reason === 'tool_use' ? 'stop' : mapStopReason(reason), model };
          }
          break;
        }
        case 'message_stop':
        case 'content_block_start':
        case 'content_block_stop':
          break;
      }
      // The raw event comes after its parsed parts, so Keel charges an event's text to the
      // budget before the drop-in hands the event out.
      if (request.includeRaw) yield { type: 'raw', chunk: event, content: hasOutput };
    }
    // The SDK ends iteration quietly when the signal aborts, so check before trusting the end.
    if (context.signal.aborted) throw mapAnthropicError(context.signal.reason, errorContext);
    if (!finished) throw incompleteStreamError(errorContext, text, sentOutput);
    ended = true;
  } catch (error) {
    throw mapAnthropicError(error, errorContext);
  } finally {
    // Covers an early `return()` from the consumer and every throw: leaving the SDK's
    // iterator already aborts, this makes it explicit. A stream read to its end needs nothing.
    if (!ended) upstream?.controller.abort();
  }
}

/** A delta's text: the answer's, or with native structured output the forced tool's JSON input. */
function deltaText(delta: RawContentBlockDelta, structured: boolean): string {
  if (delta.type === 'text_delta') return delta.text;
  return delta.type === 'input_json_delta' && structured ? delta.partial_json : '';
}

/** Whether an event carries model output (text or tool-input deltas): the stream's commit point. */
function carriesOutput(event: RawMessageStreamEvent): boolean {
  if (event.type !== 'content_block_delta') return false;
  const { delta } = event;
  return (delta.type === 'text_delta' && delta.text.length > 0) || delta.type === 'input_json_delta';
}
