import type { Usage } from '../provider/messages.js';
import type { ChatResult } from './result.js';

/** What a Keel stream yields. */
export type StreamEvent =
  | { readonly type: 'text'; readonly text: string }
  | { readonly type: 'usage'; readonly usage: Usage }
  /** The SDK's own chunk; only when the stream was opened with `includeRaw`. */
  | { readonly type: 'raw'; readonly chunk: unknown }
  /** The last event of a stream that finished properly. */
  | { readonly type: 'finish'; readonly result: ChatResult };

/** A streamed call. Read it once: iterate it, or use one of the helpers. */
export interface KeelStream extends AsyncIterable<StreamEvent> {
  /** Collects the text; rejects with the stream's KeelError. */
  text(): Promise<string>;
  /** Collects the whole result; rejects with the stream's KeelError. */
  result(): Promise<ChatResult>;
  /** The text deltas as a web ReadableStream (e.g. to return from an HTTP handler). */
  toReadableStream(): ReadableStream<string>;
}
