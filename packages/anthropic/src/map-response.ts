import type { FinishReason, Usage } from '@keel/core';

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

interface AnthropicUsage {
  readonly input_tokens?: number | null | undefined;
  readonly output_tokens?: number | null | undefined;
}

/**
 * Anthropic's `usage` block, or undefined when the response carried none. `input_tokens` counts
 * uncached input only; cache reads and writes are reported apart and not added here.
 */
export function mapUsage(usage: AnthropicUsage | null | undefined): Usage | undefined {
  if (!usage) return undefined;
  return { inputTokens: usage.input_tokens ?? 0, outputTokens: usage.output_tokens ?? 0 };
}
