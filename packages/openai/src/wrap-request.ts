import type { ChatCompletionChunk, ChatCompletionCreateParamsBase } from 'openai/resources/chat/completions';
import type { ChatRequest } from '@keel/core';
import { callFields, type WithKeel } from '@keel/core';
import { uncountedInputTokens } from './input-bound.js';
import { toKeelMessages } from './wrap-messages.js';

/**
 * Splits a `chat.completions.create` body: Keel gets the feature, model, a simplified message
 * list, the output cap, the number of answers (`n`) and a bound on the input its text does not
 * show (images, audio, tools); every other field, the original `messages` included, goes to the
 * wire through `extra` (the cap there is lowered to Keel's grant when sent, see build-request).
 * `keel` is removed; `model` and `stream` are the adapter's to set.
 */
export function toKeelRequest(body: ChatCompletionCreateParamsBase & WithKeel, defaultFeature: string): ChatRequest {
  const { keel: call, model, stream: _stream, ...passThrough } = body;
  const maxTokens = body.max_completion_tokens ?? body.max_tokens ?? undefined;
  const choices = typeof body.n === 'number' && body.n > 1 ? body.n : undefined;
  const uncounted = Array.isArray(body.messages) && typeof model === 'string' ? uncountedInputTokens(body) : 0;
  return {
    ...callFields(call, defaultFeature, model),
    messages: toKeelMessages(body.messages),
    ...(maxTokens !== undefined ? { maxTokens } : {}),
    ...(choices !== undefined ? { choices } : {}),
    ...(uncounted > 0 ? { uncountedInputTokens: uncounted } : {}),
    extra: passThrough,
  };
}

/** Whether the caller asked for the usage chunk; the adapter always does, for Keel's accounting. */
export function wantsUsage(body: ChatCompletionCreateParamsBase): boolean {
  return body.stream_options?.include_usage === true;
}

/**
 * The chunk the caller would have got without the adapter's `include_usage`: the usage-only
 * chunk is dropped and the `usage: null` the API then adds to every chunk is removed.
 */
export function asCallerChunk(chunk: ChatCompletionChunk, includeUsage: boolean): ChatCompletionChunk | undefined {
  if (includeUsage) return chunk;
  // `choices` is checked loosely: OpenAI-compatible servers are not always strict.
  if ((chunk.choices ?? []).length === 0 && chunk.usage) return undefined;
  if (chunk.usage !== null) return chunk;
  const { usage: _usage, ...rest } = chunk;
  return rest;
}
