import { readUsage, type FinishReason, type Usage } from '@keel/core';

const FINISH_REASONS: ReadonlyMap<string, FinishReason> = new Map<string, FinishReason>([
  ['stop', 'stop'],
  ['length', 'length'],
  ['content_filter', 'content_filter'],
  ['tool_calls', 'tool_calls'],
  // The legacy single-function form of a tool call.
  ['function_call', 'tool_calls'],
]);

/** OpenAI's `finish_reason`, normalised; anything new or unknown is `other`. */
export function mapFinishReason(reason: string | null | undefined): FinishReason {
  return (reason ? FINISH_REASONS.get(reason) : undefined) ?? 'other';
}

interface OpenAIUsage {
  readonly prompt_tokens?: unknown;
  readonly completion_tokens?: unknown;
  readonly prompt_tokens_details?: { readonly cached_tokens?: unknown } | null | undefined;
}

/**
 * OpenAI's `usage` block, validated; undefined when the response carried none or an invalid one
 * (see `readUsage`). `prompt_tokens` already INCLUDES the cached tokens, which
 * `prompt_tokens_details.cached_tokens` reports apart.
 */
export function mapUsage(usage: OpenAIUsage | null | undefined): Usage | undefined {
  if (!usage || typeof usage !== 'object') return undefined;
  return readUsage({
    inputTokens: usage.prompt_tokens,
    outputTokens: usage.completion_tokens,
    cacheReadTokens: usage.prompt_tokens_details?.cached_tokens,
  });
}
