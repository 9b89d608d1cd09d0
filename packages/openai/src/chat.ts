import type { ChatCompletion, ChatCompletionCreateParamsNonStreaming } from 'openai/resources/chat/completions';
import type { CallContext, ProviderRequest, ProviderResponse } from '@keel/core';
import { malformedResponseError, refusalError } from './adapter-errors.js';
import { buildBody } from './build-request.js';
import type { KeelClient } from './client.js';
import { mapOpenAIError, type ErrorContext } from './map-error.js';
import { mapFinishReason, mapUsage } from './map-response.js';

/** One non-streamed chat completion. Throws only KeelErrors. */
export async function chat(
  { client, requestOptions }: KeelClient,
  errorContext: ErrorContext,
  request: ProviderRequest,
  context: CallContext,
): Promise<ProviderResponse> {
  let completion: ChatCompletion;
  try {
    // `extra` is untyped by design; the API validates it.
    const body = { ...buildBody(request), stream: false } as ChatCompletionCreateParamsNonStreaming;
    completion = await client.chat.completions.create(body, requestOptions(context.signal));
  } catch (error) {
    throw mapOpenAIError(error, errorContext);
  }
  return toResponse(completion, request, errorContext);
}

function toResponse(completion: unknown, request: ProviderRequest, errorContext: ErrorContext): ProviderResponse {
  // A non-JSON 200 comes back from the SDK as a string, so check the shape.
  const choices = (completion as Partial<ChatCompletion> | null)?.choices;
  const choice = Array.isArray(choices) ? choices[0] : undefined;
  if (!choice?.message) throw malformedResponseError(errorContext, 'no choices in the completion');
  const { message } = choice;
  if (message.refusal) throw refusalError(errorContext);
  const typed = completion as ChatCompletion;
  return {
    text: message.content ?? '',
    finishReason: mapFinishReason(choice.finish_reason),
    usage: mapUsage(typed.usage),
    model: typed.model ?? request.model,
    ...(request.includeRaw ? { raw: completion } : {}),
    ...(request.logprobs ? tokenLogprobs(choice.logprobs) : {}),
  };
}

/** `choice.logprobs.content[].logprob`, when every one is a finite number. */
function tokenLogprobs(logprobs: ChatCompletion.Choice['logprobs'] | undefined): { logprobs?: number[] } {
  const values = logprobs?.content?.map((token) => token.logprob);
  return values && values.length > 0 && values.every((value) => typeof value === 'number' && Number.isFinite(value)) ? { logprobs: values } : {};
}
