import type { RequestContent } from '../errors/echo.js';

/**
 * Helpers for adapters' error mapping that do not depend on any SDK: what the fetch under an
 * SDK throws (undici, Node's net) looks the same whichever SDK is on top.
 */

/** Longest detail an adapter puts in a KeelError message. */
const MAX_DETAIL = 240;

const SOCKET_CODE = /^(?:UND_ERR_|ECONN|EPIPE$|ETIMEDOUT$|ENOTFOUND$|EAI_|EHOSTUNREACH$|ENETUNREACH$)/;

/** undici's own header/body inactivity timers (about five minutes by default). */
export const TRANSPORT_TIMEOUT_CODES: ReadonlySet<string> = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

/** One line, bounded: a 502 can carry a whole HTML page. */
export function oneLine(text: string, max = MAX_DETAIL): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max)}…` : line;
}

/** A thrown value's message as one bounded line. */
export function errorDetail(error: unknown): string {
  return oneLine(error instanceof Error ? error.message : String(error));
}

/** A DOM-style AbortError, whatever realm or library threw it. */
export function isAbortError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { name?: unknown }).name === 'AbortError';
}

/**
 * The first socket-level `code` down the cause chain. undici reports a socket closed mid-body
 * as `TypeError: terminated` with a cause coded UND_ERR_SOCKET; Node's net errors use E… codes.
 */
export function socketErrorCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && typeof current === 'object' && current !== null; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && SOCKET_CODE.test(code)) return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** ` (CODE)` for a socket-level code down the cause chain, or nothing. */
export function socketCodeSuffix(error: unknown): string {
  const code = socketErrorCode(error);
  return code ? ` (${code})` : '';
}

/** What an adapter's error mapper knows about the attempt an error came from. */
export interface AdapterErrorContext {
  /** The provider id. */
  readonly provider: string;
  /** The model that was asked for. */
  readonly model: string;
  /** The attempt's signal: once it has aborted, its reason decides the error. */
  readonly signal?: AbortSignal | undefined;
  /** Exact values to scrub from messages (the client's keys, tokens and header values). */
  readonly secrets?: readonly string[] | undefined;
  /** The request's content, scrubbed from provider messages that echo it (`requestContentOf`). */
  readonly requestContent?: RequestContent | undefined;
}

/**
 * The class names along an error's prototype chain, plus its `name`. Adapters classify SDK
 * errors by these rather than by `instanceof`: a client built from `require('openai')` throws
 * the CommonJS copy's classes, which are not the ESM copy's.
 */
export function errorClassNames(error: unknown): ReadonlySet<string> {
  const names = new Set<string>();
  if (typeof error !== 'object' || error === null) return names;
  const name = (error as { name?: unknown }).name;
  if (typeof name === 'string') names.add(name);
  let proto: unknown = Object.getPrototypeOf(error);
  for (let depth = 0; depth < 10 && typeof proto === 'object' && proto !== null; depth++) {
    const ctor = (proto as { constructor?: unknown }).constructor;
    if (typeof ctor === 'function' && ctor.name !== '') names.add(ctor.name);
    proto = Object.getPrototypeOf(proto);
  }
  return names;
}

/** A failure of the transport under an SDK rather than of the API, as a kind and a message. */
export interface TransportFailure {
  readonly kind: 'server' | 'timeout' | 'connection';
  readonly message: string;
}

/**
 * Classifies what the fetch under an SDK throws once the SDK's own classes did not match: a
 * malformed body (`SyntaxError`), undici's inactivity timers, and a socket that closed
 * (`TypeError: terminated`, or a socket code down the cause chain). `label` names the provider
 * in the message (`OpenAI`, `Anthropic`).
 */
export function transportFailure(error: unknown, label: string): TransportFailure | undefined {
  if (error instanceof SyntaxError) return { kind: 'server', message: `${label} sent a malformed response: ${errorDetail(error)}` };
  const code = socketErrorCode(error);
  if (code !== undefined && TRANSPORT_TIMEOUT_CODES.has(code)) {
    return { kind: 'timeout', message: `${label} response timed out in transport (${code}): ${errorDetail(error)}` };
  }
  if (code !== undefined || (error instanceof TypeError && error.message === 'terminated')) {
    return { kind: 'connection', message: `${label} connection lost${socketCodeSuffix(error)}: ${errorDetail(error)}` };
  }
  return undefined;
}
