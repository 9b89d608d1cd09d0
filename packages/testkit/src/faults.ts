/**
 * What the test server does with one request. Each arriving request takes the next fault from
 * the script; a request that finds the script empty gets `{ type: 'ok' }`.
 *
 * Faults that only make sense for a stream (`slow-first-token`, `stall-after`, …) have a
 * documented JSON counterpart, so one script works for both kinds of request.
 */
export type Fault =
  /** A normal reply: JSON or SSE, as the request asked. */
  | {
      type: 'ok';
      text?: string;
      /** In the wire's own vocabulary: `stop` / `length` (OpenAI), `end_turn` / `max_tokens` (Anthropic). */
      finishReason?: string;
      /**
       * What the reply REPORTS as usage (the server's own count of what it served is in the
       * request log's `served`, whatever this says): `'omit'` sends no usage field, `null` sends
       * `usage: null`, an object overrides some fields with any value — a negative number, a
       * string, `1e308` — to test how a client copes with corrupted usage.
       */
      usage?: UsageReport | 'omit' | null;
      /** Multiplies every reported count (an inflating provider). Ignored with an explicit `usage`. */
      usageScale?: number;
      /** Of the input tokens, how many were read from / written to the prompt cache (capped at the input). */
      cache?: { readTokens?: number; writeTokens?: number };
      /**
       * Serve the whole text whatever the request's `max_tokens` / `max_completion_tokens`
       * (a provider that ignores the cap). By default the server stops after that many tokens.
       */
      ignoreMaxTokens?: boolean;
      /** The model the reply names; defaults to the requested model. */
      model?: string;
      headers?: Record<string, string>;
      /** Pause between SSE text deltas, in milliseconds. @default 0 */
      chunkDelayMs?: number;
      /**
       * OpenAI JSON replies to a request with `logprobs: true`: each output token's logprob (one
       * per text delta, the list repeated as needed). Unscripted, such a request gets -0.01 each.
       */
      logprobs?: number[];
    }
  /** An error response with the wire's real error body; type, code and message default per status. */
  | {
      type: 'status';
      status: number;
      headers?: Record<string, string>;
      error?: { type?: string; code?: string; message?: string; param?: string };
      /** A raw body sent verbatim instead of the wire's error JSON (e.g. a proxy's HTML page). */
      body?: string;
      /**
       * Quote the request's last user message text in the error message, as real APIs do when a
       * 400/422 names the offending value (a leak test's prompt canary). @default false
       */
      echoRequest?: boolean;
    }
  /** The socket is reset (TCP RST) right after the request arrives, before any response byte. */
  | { type: 'reset' }
  /** The request is accepted and never answered, until the client aborts or the server closes. */
  | { type: 'hang' }
  /** Waits `delayMs` before a normal reply. */
  | { type: 'slow-headers'; delayMs: number }
  /** SSE: headers and the opening events at once, the first text delta after `delayMs`. JSON: like `slow-headers`. */
  | { type: 'slow-first-token'; delayMs: number }
  /** SSE: `chunks` text deltas, then silence with the socket open. JSON: headers, then no body. */
  | { type: 'stall-after'; chunks: number }
  /**
   * SSE: `chunks` text deltas, then the connection ends mid-response. JSON: half the body (its
   * `content-length` promises all of it), then the same. The SDKs see a body that ends early
   * (`TypeError: terminated`).
   *
   * The bytes before the cut always reach the client: the server waits until they are written to
   * the kernel, then the server's real-time `cutDelayMs` grace (see `TestServerOptions`), then one
   * more event-loop turn, so a client in the same process has read them, and only then cuts.
   */
  | {
      type: 'reset-after';
      chunks: number;
      /**
       * How the connection ends: `fin` closes it (TCP FIN, a clean end of the byte stream that
       * arrives behind the data), `rst` resets it (TCP RST). On a real network an RST makes the
       * peer's kernel drop data it received but the application has not read yet, so an RST can
       * lose the last chunks there; the testkit's wait makes both reach the client the same way.
       * @default 'fin'
       */
      how?: CutHow;
    }
  /** 200 `application/json` with a truncated body. */
  | { type: 'malformed-json' }
  /** SSE: after `afterChunks` text deltas (default 0), a `data:` line that is not JSON. JSON: like `malformed-json`. */
  | { type: 'malformed-sse'; afterChunks?: number }
  /**
   * SSE: the stream ends cleanly without `[DONE]` / `message_stop`. With `finish: true` the finish
   * events are sent first; otherwise the stream ends right after the text. JSON: a normal reply.
   */
  | { type: 'no-done'; finish?: boolean }
  /**
   * SSE: an error event after `afterChunks` text deltas (default 0) — Anthropic `event: error`
   * (default `overloaded_error`), OpenAI `data: {"error":{…}}` (default `server_error`).
   * JSON: the matching status error (Anthropic 529, OpenAI 500).
   */
  | { type: 'error-event'; afterChunks?: number; errorType?: string; message?: string };

/** How `reset-after` ends the connection: a FIN (clean close) or an RST (reset). */
export type CutHow = 'fin' | 'rst';

export const CUT_HOWS: readonly CutHow[] = ['fin', 'rst'];

/**
 * Reported usage, in wire-neutral terms: `inputTokens` is ALL input (cached included), as OpenAI
 * counts it; the Anthropic wire subtracts the cache reads and writes for its `input_tokens`
 * (when every value is a number). Fields left out report the truth.
 */
export interface UsageReport {
  readonly inputTokens?: unknown;
  readonly outputTokens?: unknown;
  readonly cacheReadTokens?: unknown;
  readonly cacheWriteTokens?: unknown;
}

export type FaultType = Fault['type'];

export const FAULT_TYPES: readonly FaultType[] = [
  'ok',
  'status',
  'reset',
  'hang',
  'slow-headers',
  'slow-first-token',
  'stall-after',
  'reset-after',
  'malformed-json',
  'malformed-sse',
  'no-done',
  'error-event',
];

/** Numeric fields each fault type requires; the rest are optional and checked loosely. */
const REQUIRED_NUMBERS: Partial<Record<FaultType, readonly string[]>> = {
  status: ['status'],
  'slow-headers': ['delayMs'],
  'slow-first-token': ['delayMs'],
  'stall-after': ['chunks'],
  'reset-after': ['chunks'],
};

/**
 * Checks untrusted JSON (a CLI script file) and returns it as a fault list. Throws a readable
 * error naming the first bad entry.
 */
export function parseFaults(value: unknown): Fault[] {
  if (!Array.isArray(value)) throw new TypeError('A fault script must be a JSON array of faults.');
  return value.map((entry: unknown, index) => {
    if (typeof entry !== 'object' || entry === null) throw new TypeError(`Fault #${index} is not an object.`);
    const record = entry as Record<string, unknown>;
    const type = record['type'];
    if (typeof type !== 'string' || !(FAULT_TYPES as readonly string[]).includes(type)) {
      throw new TypeError(`Fault #${index} has an unknown type ${JSON.stringify(type)}; expected one of ${FAULT_TYPES.join(', ')}.`);
    }
    for (const field of REQUIRED_NUMBERS[type as FaultType] ?? []) {
      const n = record[field];
      if (typeof n !== 'number' || !Number.isFinite(n) || n < 0) {
        throw new TypeError(`Fault #${index} (${type}) needs a non-negative number "${field}".`);
      }
    }
    if (type === 'reset-after' && record['how'] !== undefined && !(CUT_HOWS as readonly unknown[]).includes(record['how'])) {
      throw new TypeError(`Fault #${index} (reset-after) has an unknown "how" ${JSON.stringify(record['how'])}; expected ${CUT_HOWS.join(' or ')}.`);
    }
    return record as Fault;
  });
}
