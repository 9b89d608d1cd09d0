import type { IncomingHttpHeaders } from 'node:http';
import type { Fault } from './faults.js';

/** The wire formats the test server speaks. */
export type WireName = 'openai' | 'anthropic' | 'llama-server' | 'openai-embeddings';

/** One request as the test server received it. */
export interface RecordedRequest {
  /** 0-based arrival order. */
  readonly index: number;
  readonly method: string;
  /** The URL path, without the query string. */
  readonly path: string;
  /** Lower-cased header names; repeated headers joined with `, `. */
  readonly headers: Readonly<Record<string, string>>;
  /** The parsed JSON body, or `undefined` when it was empty or not JSON. */
  readonly body: unknown;
  /** Whether the request asked for SSE (`"stream": true`). */
  readonly stream: boolean;
  readonly wire: WireName;
  /** Epoch milliseconds. */
  readonly receivedAt: number;
  /** True once the client closed the connection before the response finished. */
  readonly aborted: boolean;
  /** True once the response is over: finished, aborted by the client or cut by the server. */
  readonly closed: boolean;
  /** The fault the server applied, once chosen. */
  readonly fault: Fault | undefined;
  /**
   * What the server really served, by its own counting, updated live — the ground truth for
   * budget tests, whatever the reply REPORTED as usage. Input counts once the reply delivers
   * output (the first SSE text delta), finishes (a stream's finish frames), or is a complete
   * JSON body; output counts one token per SSE text delta written, or every token of a complete
   * JSON body. An error status, a reset, an error or stall before the first delta, or a JSON
   * body cut, stalled or malformed serves nothing.
   */
  readonly served: Served;
}

/** Tokens served to one request; `inputTokens` includes the cache reads and writes. */
export interface Served {
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly cacheReadTokens: number;
  readonly cacheWriteTokens: number;
}

export type MutableServed = { -readonly [K in keyof Served]: Served[K] };

export function nothingServed(): MutableServed {
  return { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 };
}

/** The server's own, writable view of a record. */
export type MutableRecordedRequest = { -readonly [K in keyof RecordedRequest]: RecordedRequest[K] };

export function flattenHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

export function parseJsonBody(raw: string): unknown {
  if (raw.trim() === '') return undefined;
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return undefined;
  }
}
