import type { ChatMessage, FinishReason, Usage } from './messages.js';

/**
 * What Keel asks a provider for. Adapters translate it to their SDK's request; nothing here is
 * specific to one wire format.
 */
export interface ProviderRequest {
  readonly model: string;
  readonly messages: readonly ChatMessage[];
  readonly maxTokens?: number | undefined;
  readonly temperature?: number | undefined;
  /**
   * Provider-specific request fields passed through untouched (tools, response_format,
   * metadata…). The drop-in wrappers use it; `createKeel` users rarely need it.
   */
  readonly extra?: Readonly<Record<string, unknown>> | undefined;
  /** Ask the adapter to attach the SDK's own response object / chunks (`raw`). */
  readonly includeRaw?: boolean | undefined;
  /**
   * Structured output the provider should enforce natively (OpenAI `response_format:
   * json_schema`, Anthropic tool use with `input_schema`, llama-server `json_schema`). Set by
   * `keel.object` only when the provider says the schema fits (`Provider.supportsOutputSchema`).
   */
  readonly outputSchema?: NativeOutputSchema | undefined;
  /**
   * Ask for the output tokens' log probabilities where the provider offers them (OpenAI
   * `logprobs: true`); set by a cascade whose gate has `minConfidence`. Others ignore it.
   */
  readonly logprobs?: boolean | undefined;
}

/** A JSON Schema for a provider to enforce natively. */
export interface NativeOutputSchema {
  /** A name the wire format needs (OpenAI `json_schema.name`, Anthropic's tool name). */
  readonly name: string;
  /** The JSON Schema (draft 2020-12 subset), as produced from the caller's zod schema. */
  readonly schema: Readonly<Record<string, unknown>>;
  /** Ask for strict enforcement where the provider offers it. */
  readonly strict: boolean;
}

/** The per-attempt context Keel hands to a provider. */
export interface CallContext {
  /** Aborts when the caller aborts, the deadline passes or an attempt timeout fires. */
  readonly signal: AbortSignal;
  /** The call's absolute deadline on Keel's clock, in epoch milliseconds. */
  readonly deadline: number;
  /** 1-based attempt number. */
  readonly attempt: number;
}

/** A complete (non-streamed) response. */
export interface ProviderResponse {
  readonly text: string;
  readonly finishReason: FinishReason;
  readonly usage?: Usage | undefined;
  /** The model that answered, as the provider reports it. */
  readonly model: string;
  /** The SDK's own response object, present when `includeRaw` was set. */
  readonly raw?: unknown;
  /** Each output token's log probability, when the request asked (`logprobs`) and the provider returned them. */
  readonly logprobs?: readonly number[] | undefined;
}

/** One piece of a streamed response. */
export type ProviderStreamPart =
  | {
      readonly type: 'text';
      readonly text: string;
      /**
       * With `includeRaw`, the SDK chunk this text came from, when the text is the chunk's last
       * part: Keel charges the text, then hands the chunk out as a `raw` event. One part instead
       * of a `text` and a `raw` part saves every chunk of a drop-in stream a read (an adapter may
       * still send the chunk as a `raw` part after the text).
       */
      readonly raw?: unknown;
    }
  | { readonly type: 'usage'; readonly usage: Usage }
  | { readonly type: 'finish'; readonly finishReason: FinishReason; readonly model?: string | undefined }
  /**
   * The SDK's own chunk (when `includeRaw` is set), after the parts derived from it, so that Keel
   * charges a chunk's text to the budget before a drop-in hands the chunk out. `content` says
   * whether the chunk carries output (text or tool-call deltas): such a chunk is the stream's
   * commit point.
   */
  | { readonly type: 'raw'; readonly chunk: unknown; readonly content: boolean };

/**
 * The contract every adapter implements. A provider throws only {@link KeelError}s (mapped
 * from its SDK's errors) and never retries on its own: Keel is the one retry layer.
 */
export interface Provider {
  /** Stable id used in configuration, breaker keys, events and errors (e.g. `openai`). */
  readonly id: string;
  chat(request: ProviderRequest, context: CallContext): Promise<ProviderResponse>;
  /** Must abort the upstream request when `context.signal` aborts or iteration stops early. */
  stream(request: ProviderRequest, context: CallContext): AsyncIterable<ProviderStreamPart>;
  /**
   * Whether this provider can enforce `schema` natively for `model` (see
   * {@link ProviderRequest.outputSchema}). Absent: never; Keel then prompts and extracts.
   */
  supportsOutputSchema?(model: string, schema: Readonly<Record<string, unknown>>): boolean;
}

/**
 * Turns texts into vectors for the semantic cache. Implemented over a provider's embeddings API
 * (@keel/openai, @keel/llamacpp) or locally (the testkit's deterministic embedder).
 */
export interface Embedder {
  /** Stable id (provider + model): vectors from different embedders are never compared. */
  readonly id: string;
  /** Vector length, when known before the first call. */
  readonly dimensions?: number | undefined;
  /** One vector per text, in order. */
  embed(texts: readonly string[], options?: { readonly signal?: AbortSignal | undefined }): Promise<Float32Array[]>;
}
