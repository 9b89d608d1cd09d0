import type { MessageCreateParamsBase } from '@anthropic-ai/sdk/resources/messages';
import type { ChatRequest } from '@keel/core';
import { callFields, type WithKeel } from '@keel/core';
import { uncountedInputTokens } from './input-bound.js';
import { toKeelMessages } from './wrap-messages.js';

/**
 * Splits a `messages.create` body: Keel gets the feature, model, a simplified message list,
 * `max_tokens` and a bound on the input its text does not show (images, tools); every other
 * field, the original `system` and `messages` included, goes to the wire through `extra` (its
 * `max_tokens` lowered to Keel's grant when sent, see build-request). `keel` is removed; `model`
 * and `stream` are the adapter's to set.
 */
export function toKeelRequest(body: MessageCreateParamsBase & WithKeel, defaultFeature: string): ChatRequest {
  const { keel: call, model, stream: _stream, ...passThrough } = body;
  const uncounted = Array.isArray(body.messages) ? uncountedInputTokens(body) : 0;
  return {
    ...callFields(call, defaultFeature, model),
    messages: toKeelMessages(body),
    // `max_tokens: 0` (pre-warming the prompt cache) is valid here but not for Keel's schema.
    ...(body.max_tokens === 0 ? {} : { maxTokens: body.max_tokens }),
    ...(uncounted > 0 ? { uncountedInputTokens: uncounted } : {}),
    extra: passThrough,
  };
}
