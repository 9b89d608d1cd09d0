import type { EmbeddingRequest } from './wire/wire-format.js';

/** The sentence every reply uses unless a fault or `reply` option says otherwise. Never the prompt. */
export const DEFAULT_REPLY_TEXT = 'The quick brown fox jumps over the lazy dog.';

/**
 * Tokens by the server's own count (the ground truth for budget tests). `inputTokens` is all the
 * input, cache reads and writes included; output is one token per text delta (word).
 */
export interface ServedUsage {
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly cacheReadTokens: number;
  readonly cacheWriteTokens: number;
}

/** Usage as a reply reports it: omitted, `null`, or per-field values (numbers unless corrupted). */
export type ReportedUsage =
  | 'omit'
  | null
  | { readonly inputTokens: unknown; readonly outputTokens: unknown; readonly cacheReadTokens: unknown; readonly cacheWriteTokens: unknown };

/** Everything a wire encoder needs to write one reply, decided before the first byte. */
export interface ReplyPlan {
  /** The value of the request-id header (`x-request-id` / `request-id`). */
  readonly requestId: string;
  /** The response's own id (`chatcmpl-…` / `msg_…`). */
  readonly id: string;
  /** Epoch seconds. */
  readonly created: number;
  readonly model: string;
  readonly text: string;
  /** `text` split into the SSE text deltas, in order. */
  readonly chunks: readonly string[];
  /** In the wire's vocabulary; `undefined` means the wire's normal stop. */
  readonly finishReason: string | undefined;
  /** The truth, by the server's own counting: what it would bill for the whole reply. */
  readonly usage: ServedUsage;
  /** What the reply reports as usage (see the `ok` fault's `usage`). */
  readonly report: ReportedUsage;
  /** OpenAI `stream_options.include_usage`: send the usage chunk before `[DONE]`. */
  readonly includeUsage: boolean;
  /** The API key the client sent, for wires that quote a masked copy in 401 messages. */
  readonly apiKey: string | undefined;
  /** The request's last user message text, quoted by error bodies that echo the request. */
  readonly lastUserText?: string | undefined;
  /**
   * Anthropic: the tool the request forced. The reply is a `tool_use` of it whose input is the
   * reply text parsed as JSON (text that is not a JSON object is sent as a text block instead).
   */
  readonly toolName?: string | undefined;
  /** OpenAI: the logprob of each chunk, when the request asked for `logprobs`. */
  readonly logprobs?: readonly number[] | undefined;
  /** OpenAI embeddings: what to embed (see `WireRequestInfo.embedding`). */
  readonly embedding?: EmbeddingRequest | undefined;
}

/** Splits text into word-sized deltas, keeping whitespace, so the deltas join back exactly. */
export function splitIntoChunks(text: string): string[] {
  return text.match(/\s*\S+\s*/g) ?? (text === '' ? [] : [text]);
}

/** A rough, deterministic token count: a quarter of the characters, rounded up. */
export function estimateTokens(chars: number): number {
  return Math.ceil(chars / 4);
}

/** A deterministic id from the request's index, shaped like the provider's own. */
export function sequentialId(prefix: string, index: number, width = 24): string {
  return `${prefix}${index.toString(16).padStart(width, '0')}`;
}
