/** A chat message as Keel and every provider adapter see it. */
export interface ChatMessage {
  readonly role: 'system' | 'user' | 'assistant';
  readonly content: string;
}

/** Why generation stopped, normalised across providers. */
export type FinishReason = 'stop' | 'length' | 'content_filter' | 'tool_calls' | 'other';

/** Token usage as the provider reported it. */
export interface Usage {
  readonly inputTokens: number;
  readonly outputTokens: number;
}
