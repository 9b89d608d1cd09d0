import type Anthropic from '@anthropic-ai/sdk';
import type { Message, MessageCreateParamsNonStreaming } from '@anthropic-ai/sdk/resources/messages';
import type { CallContext, ProviderRequest, ProviderResponse } from '@keel/core';
import { malformedResponseError, refusalError } from './adapter-errors.js';
import { buildBody } from './build-request.js';
import { mapAnthropicError, type ErrorContext } from './map-error.js';
import { REFUSAL_STOP_REASON, mapStopReason, mapUsage } from './map-response.js';
import { isOutputToolUse } from './output-schema.js';

/** One non-streamed message. Throws only KeelErrors. */
export async function chat(
  client: Anthropic,
  errorContext: ErrorContext,
  request: ProviderRequest,
  context: CallContext,
): Promise<ProviderResponse> {
  let message: Message;
  try {
    // `extra` is untyped by design; the API validates it.
    const body = { ...buildBody(request), stream: false } as MessageCreateParamsNonStreaming;
    message = await client.messages.create(body, { signal: context.signal });
  } catch (error) {
    throw mapAnthropicError(error, errorContext);
  }
  return toResponse(message, request, errorContext);
}

function toResponse(message: unknown, request: ProviderRequest, errorContext: ErrorContext): ProviderResponse {
  // A non-JSON 200 comes back from the SDK as a string, so check the shape.
  const content = (message as Partial<Message> | null)?.content;
  if (!Array.isArray(content)) throw malformedResponseError(errorContext, 'no content in the message');
  const typed = message as Message;
  if (typed.stop_reason === REFUSAL_STOP_REASON) throw refusalError(errorContext, typed.stop_details?.category);
  // Native structured output: the forced tool's input is the answer, as JSON text.
  const answer = content.find((block) => isOutputToolUse(block, request.outputSchema));
  return {
    text: answer?.type === 'tool_use' ? JSON.stringify(answer.input) : content.map((block) => (block.type === 'text' ? block.text : '')).join(''),
    // The forced tool's stop is the answer's normal end, not a tool call for the caller to run.
    finishReason: answer && typed.stop_reason === 'tool_use' ? 'stop' : mapStopReason(typed.stop_reason),
    usage: mapUsage(typed.usage),
    model: typed.model ?? request.model,
    ...(request.includeRaw ? { raw: message } : {}),
  };
}
