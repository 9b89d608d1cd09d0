import type { FinishReason, Usage } from '@keel/core';

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
  readonly prompt_tokens?: number | null | undefined;
  readonly completion_tokens?: number | null | undefined;
}

/** OpenAI's `usage` block, or undefined when the response carried none. */
export function mapUsage(usage: OpenAIUsage | null | undefined): Usage | undefined {
  if (!usage) return undefined;
  return { inputTokens: usage.prompt_tokens ?? 0, outputTokens: usage.completion_tokens ?? 0 };
}
