import type { CutHow, Fault } from '../faults.js';
import { SSE_HEADERS } from '../wire/sse.js';
import type { WireErrorSpec } from '../wire/wire-format.js';
import type { Exchange } from './exchange.js';

/** How a scripted SSE reply unfolds: how many text deltas, paced how, and what comes after. */
interface StreamShape {
  /** Text deltas to send; all of them when undefined. */
  readonly deltas?: number | undefined;
  readonly firstTokenDelayMs?: number | undefined;
  readonly chunkDelayMs?: number | undefined;
  readonly headers?: Record<string, string> | undefined;
  /**
   * After the deltas: `complete` (finish + terminal frames), `finish-only` (no terminal frame),
   * `none` (just end), `stall` (keep the socket open), `cut` (close the socket mid-response),
   * `malformed` (a non-JSON data line), `error` (an error frame).
   */
  readonly tail: 'complete' | 'finish-only' | 'none' | 'stall' | 'cut' | 'malformed' | 'error';
  readonly error?: WireErrorSpec | undefined;
  /** How a `cut` tail ends the connection. @default 'fin' */
  readonly how?: CutHow | undefined;
}

const JSON_TYPE = 'application/json';

function sendJson(ex: Exchange, status: number, body: unknown, headers: Record<string, string> = {}): boolean {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  ex.head(status, {
    ...ex.wire.baseHeaders(ex.plan),
    'content-type': JSON_TYPE,
    'content-length': String(Buffer.byteLength(text)),
    ...headers,
  });
  return ex.end(text);
}

/** Counts the reply's input as served (once), with its cache split. */
function serveInput(ex: Exchange): void {
  if (ex.served.inputTokens > 0) return;
  const { inputTokens, cacheReadTokens, cacheWriteTokens } = ex.plan.usage;
  Object.assign(ex.served, { inputTokens, cacheReadTokens, cacheWriteTokens });
}

function sendStatus(ex: Exchange, status: number, error: WireErrorSpec, headers?: Record<string, string>, raw?: string): void {
  const body = raw ?? ex.wire.errorBody(ex.plan, status, error);
  void sendJson(ex, status, body, raw === undefined ? headers : { 'content-type': 'text/html; charset=utf-8', ...headers });
}

/** The first half of the real body: a 200 the client can read but not parse. */
function truncatedJson(ex: Exchange): string {
  const full = JSON.stringify(ex.wire.json(ex.plan));
  return full.slice(0, Math.floor(full.length / 2));
}

async function sendStream(ex: Exchange, shape: StreamShape): Promise<void> {
  const { wire, plan } = ex;
  ex.head(200, { ...wire.baseHeaders(plan), ...SSE_HEADERS, ...shape.headers });
  for (const frame of wire.streamStart(plan)) ex.write(frame);

  const count = Math.min(shape.deltas ?? plan.chunks.length, plan.chunks.length);
  for (let i = 0; i < count; i++) {
    const wait = i === 0 ? shape.firstTokenDelayMs : shape.chunkDelayMs;
    if (wait && !(await ex.delay(wait))) return;
    // One delta is one token by the server's count.
    if (ex.write(wire.streamDelta(plan, plan.chunks[i] ?? ''))) {
      serveInput(ex);
      ex.served.outputTokens += 1;
    }
  }

  switch (shape.tail) {
    case 'complete':
      for (const frame of [...wire.streamFinish(plan), ...wire.streamEnd(plan)]) ex.write(frame);
      // A finished reply with no output (max_tokens: 0) still served its input.
      if (ex.end()) serveInput(ex);
      return;
    case 'finish-only':
      for (const frame of wire.streamFinish(plan)) ex.write(frame);
      if (ex.end()) serveInput(ex);
      return;
    case 'none':
      return void ex.end();
    case 'stall':
      return;
    case 'cut':
      return ex.cut(shape.how ?? 'fin');
    case 'malformed':
      return void ex.end(wire.malformedFrame(plan));
    case 'error':
      return void ex.end(wire.errorFrame(plan, shape.error ?? {}));
  }
}

/** A normal reply in whichever form the request asked for. */
function sendOk(ex: Exchange, options: { headers?: Record<string, string> | undefined; chunkDelayMs?: number | undefined } = {}) {
  if (ex.stream) return sendStream(ex, { tail: 'complete', ...options });
  if (sendJson(ex, 200, ex.wire.json(ex.plan), options.headers)) {
    serveInput(ex);
    ex.served.outputTokens += ex.plan.usage.outputTokens;
  }
  return Promise.resolve();
}

/** Plays one fault against one exchange. Resolves once the server has nothing more to do. */
export async function respond(fault: Fault, ex: Exchange): Promise<void> {
  switch (fault.type) {
    case 'ok':
      return sendOk(ex, { headers: fault.headers, chunkDelayMs: fault.chunkDelayMs });
    case 'status':
      return sendStatus(ex, fault.status, { ...fault.error, echoRequest: fault.echoRequest }, fault.headers, fault.body);
    case 'reset':
      return ex.reset();
    case 'hang':
      return;
    case 'slow-headers':
      if (await ex.delay(fault.delayMs)) await sendOk(ex);
      return;
    case 'slow-first-token':
      if (ex.stream) return sendStream(ex, { tail: 'complete', firstTokenDelayMs: fault.delayMs });
      if (await ex.delay(fault.delayMs)) await sendOk(ex);
      return;
    case 'stall-after':
      if (ex.stream) return sendStream(ex, { tail: 'stall', deltas: fault.chunks });
      ex.head(200, { ...ex.wire.baseHeaders(ex.plan), 'content-type': JSON_TYPE });
      return;
    case 'reset-after':
      if (ex.stream) return sendStream(ex, { tail: 'cut', deltas: fault.chunks, how: fault.how });
      ex.head(200, {
        ...ex.wire.baseHeaders(ex.plan),
        'content-type': JSON_TYPE,
        'content-length': String(Buffer.byteLength(JSON.stringify(ex.wire.json(ex.plan)))),
      });
      ex.write(truncatedJson(ex));
      return ex.cut(fault.how ?? 'fin');
    case 'malformed-json':
      return void sendJson(ex, 200, truncatedJson(ex));
    case 'malformed-sse':
      if (ex.stream) return sendStream(ex, { tail: 'malformed', deltas: fault.afterChunks ?? 0 });
      return void sendJson(ex, 200, truncatedJson(ex));
    case 'no-done':
      if (ex.stream) return sendStream(ex, { tail: fault.finish ? 'finish-only' : 'none' });
      return sendOk(ex);
    case 'error-event': {
      const error = { type: fault.errorType, message: fault.message };
      if (ex.stream) return sendStream(ex, { tail: 'error', deltas: fault.afterChunks ?? 0, error });
      return sendStatus(ex, ex.wire.errorEventStatus, error);
    }
  }
}
