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

/** Token usage as the provider reported it. */
export interface Usage {
  readonly inputTokens: number;
  readonly outputTokens: number;
}
