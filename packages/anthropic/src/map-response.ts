import { addCounts, readUsage, type FinishReason, type Usage } from '@keel/core';

/** `refusal` is not here: the adapter throws a `refusal` KeelError for it instead. */
const STOP_REASONS: ReadonlyMap<string, FinishReason> = new Map<string, FinishReason>([
  ['end_turn', 'stop'],
  ['stop_sequence', 'stop'],
  ['max_tokens', 'length'],
  // The output ran into the model's context window: cut short, like `max_tokens`.
  ['model_context_window_exceeded', 'length'],
  ['tool_use', 'tool_calls'],
  // `pause_turn` (a long server-tool turn to be continued) and anything new.
]);

/** The stop reason that means the model declined to answer. */
export const REFUSAL_STOP_REASON = 'refusal';

/** Anthropic's `stop_reason`, normalised; anything new or unknown is `other`. */
export function mapStopReason(reason: string | null | undefined): FinishReason {
  return (reason ? STOP_REASONS.get(reason) : undefined) ?? 'other';
}

export interface AnthropicUsage {
  readonly input_tokens?: unknown;
  readonly output_tokens?: unknown;
  readonly cache_read_input_tokens?: unknown;
  readonly cache_creation_input_tokens?: unknown;
}

/**
 * Anthropic's `usage` block, validated; undefined when the response carried none or an invalid
 * one (see `readUsage`). `input_tokens` EXCLUDES the cache reads and writes, which are reported
 * apart; Keel's `inputTokens` is all three added up.
 */
export function mapUsage(usage: AnthropicUsage | null | undefined): Usage | undefined {
  if (!usage || typeof usage !== 'object') return undefined;
  const { input_tokens: uncached, cache_read_input_tokens: read, cache_creation_input_tokens: write } = usage;
  return readUsage({
    inputTokens: addCounts(addCounts(uncached, read), write),
    outputTokens: usage.output_tokens,
    cacheReadTokens: read,
    cacheWriteTokens: write,
  });
}

/** A stream's usage: message_delta's cumulative counts, each falling back to message_start's. */
export function mergeStreamUsage(start: AnthropicUsage | null | undefined, delta: AnthropicUsage | null | undefined): AnthropicUsage | undefined {
  if (!delta || typeof delta !== 'object') return undefined;
  const pick = (field: keyof AnthropicUsage) => delta[field] ?? start?.[field];
  return {
    input_tokens: pick('input_tokens'),
    output_tokens: delta.output_tokens,
    cache_read_input_tokens: pick('cache_read_input_tokens'),
    cache_creation_input_tokens: pick('cache_creation_input_tokens'),
  };
}
