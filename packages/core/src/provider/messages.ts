/** A chat message as Keel and every provider adapter see it. */
export interface ChatMessage {
  readonly role: 'system' | 'user' | 'assistant';
  readonly content: string;
}

/**
 * Why generation stopped, normalised across providers. `budget_exhausted` is Keel's own: it
 * ended a stream whose budget ran out mid-way (providers never report it).
 */
export type FinishReason = 'stop' | 'length' | 'content_filter' | 'tool_calls' | 'other' | 'budget_exhausted';

/**
 * Token usage as the provider reported it, validated at the adapter boundary: every count is a
 * finite, non-negative safe integer (see `readUsage`).
 *
 * `inputTokens` is ALL the input the provider processed, prompt-cache reads and writes included
 * (OpenAI's `prompt_tokens`; Anthropic's `input_tokens + cache_read_input_tokens +
 * cache_creation_input_tokens`). `cacheReadTokens` and `cacheWriteTokens` say how much of it
 * was read from / written to the prompt cache, which providers price apart.
 */
export interface Usage {
  readonly inputTokens: number;
  readonly outputTokens: number;
  /** Of `inputTokens`, served from the prompt cache (OpenAI `cached_tokens`, Anthropic `cache_read_input_tokens`). */
  readonly cacheReadTokens?: number | undefined;
  /** Of `inputTokens`, written to the prompt cache (Anthropic `cache_creation_input_tokens`). */
  readonly cacheWriteTokens?: number | undefined;
}
