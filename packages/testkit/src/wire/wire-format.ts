import type { ReplyPlan } from '../reply.js';
import type { WireName } from '../request-log.js';

/** What a wire format reads from a request before the server plans its reply. */
export interface WireRequestInfo {
  readonly model: string | undefined;
  readonly stream: boolean;
  /** OpenAI `stream_options.include_usage`; always false elsewhere. */
  readonly includeUsage: boolean;
  /** Characters of prompt text, for the deterministic input-token count. */
  readonly promptChars: number;
  /** The request's output cap (`max_tokens` / `max_completion_tokens`), when it names one. */
  readonly maxTokens: number | undefined;
  readonly apiKey: string | undefined;
  /** The text of the last user message, for error bodies that echo the request. */
  readonly lastUserText?: string | undefined;
  /** Anthropic: the tool `tool_choice` forces (native structured output); the reply calls it. */
  readonly forcedTool?: string | undefined;
  /** OpenAI: the request asked for `logprobs: true`. */
  readonly logprobs?: boolean | undefined;
  /**
   * Anthropic: the text of a trailing assistant message (a prefill). The reply continues it:
   * when the reply text starts with the prefill, only the rest is sent, as the real API does.
   */
  readonly prefill?: string | undefined;
  /** OpenAI embeddings: the texts to embed and how the client asked for the vectors. */
  readonly embedding?: EmbeddingRequest | undefined;
}

export interface EmbeddingRequest {
  readonly inputs: readonly string[];
  /** `dimensions` from the body, when it names one. */
  readonly dimensions?: number | undefined;
  /** `encoding_format`: the openai client asks for base64 unless told `float`. */
  readonly encoding: 'float' | 'base64';
}

/** An error as a fault describes it; every field falls back to the wire's default for the status. */
export interface WireErrorSpec {
  readonly type?: string | undefined;
  readonly code?: string | undefined;
  readonly message?: string | undefined;
  readonly param?: string | undefined;
  /** Append the request's last user message text to the message, as real APIs echo input. */
  readonly echoRequest?: boolean | undefined;
}

/**
 * One provider's wire format. The server routes by `path` and drives the encoder; faults are
 * applied by the server, so a new format (llama-server, …) only has to encode.
 *
 * Stream methods return finished SSE frames (`event: …\ndata: …\n\n`).
 */
export interface WireFormat {
  readonly name: WireName;
  /** The POST path this format answers (`/v1/chat/completions`). */
  readonly path: string;
  readonly defaultModel: string;
  /** Prefix of the response id (`chatcmpl-`, `msg_`). */
  readonly idPrefix: string;
  /** The status a JSON request gets for an `error-event` fault. */
  readonly errorEventStatus: number;
  /** The finish reason a reply cut at the request's `max_tokens` reports (`length` / `max_tokens`). */
  readonly lengthFinishReason: string;

  readRequest(body: unknown, headers: Readonly<Record<string, string>>): WireRequestInfo;
  /** Headers every response carries: request id, processing time, rate-limit info. */
  baseHeaders(plan: ReplyPlan): Record<string, string>;
  /** The full JSON reply body. */
  json(plan: ReplyPlan): unknown;
  /** The frames before the first text delta (role chunk / `message_start` …). */
  streamStart(plan: ReplyPlan): string[];
  streamDelta(plan: ReplyPlan, text: string): string;
  /** The frames that say the text is finished (finish chunk, usage chunk / `message_delta` …). */
  streamFinish(plan: ReplyPlan): string[];
  /** The terminal frames (`[DONE]` / `message_stop`). */
  streamEnd(plan: ReplyPlan): string[];
  /** A frame whose `data:` line is not JSON. */
  malformedFrame(plan: ReplyPlan): string;
  /** A mid-stream error frame. */
  errorFrame(plan: ReplyPlan, error: WireErrorSpec): string;
  /** The error JSON body for `status`. */
  errorBody(plan: ReplyPlan, status: number, error: WireErrorSpec): unknown;
}
