import { MIN_ECHO_LENGTH, type RequestContent } from '../errors/echo.js';
import type { ProviderRequest } from './provider.js';
import type { AdapterErrorContext } from './transport-errors.js';

/** Deep enough for tool schemas and content parts; a body nested deeper is not a real request. */
const MAX_DEPTH = 32;

/**
 * What of a request a provider might echo into an error: the message texts (matched whole or in
 * part), and every long string in `extra` — the drop-ins' original body, tools and their
 * arguments, a system prompt. `extra.model` is left out so that "model X does not exist"
 * stays readable.
 */
export function requestContentOf(request: ProviderRequest): RequestContent {
  const texts = request.messages.flatMap((message) => (typeof message.content === 'string' ? [message.content] : []));
  const fragments: string[] = [];
  const { model: _model, ...extra } = request.extra ?? {};
  collectStrings(extra, fragments, 0);
  return { texts, fragments };
}

function collectStrings(value: unknown, into: string[], depth: number): void {
  if (typeof value === 'string') {
    if (value.length >= MIN_ECHO_LENGTH) into.push(value);
    return;
  }
  if (typeof value !== 'object' || value === null || depth >= MAX_DEPTH) return;
  for (const item of Array.isArray(value) ? value : Object.values(value)) collectStrings(item, into, depth + 1);
}

/**
 * The error context of one attempt, for an adapter's error mapper: the request's content and the
 * client's secrets are collected only when an error is built (a key may be resolved lazily, and
 * most attempts never fail). A class, so the lazy fields are accessors on its prototype: built on
 * every attempt, it costs less than an object literal with getters of its own.
 */
class LazyErrorContext implements AdapterErrorContext {
  readonly #secrets: () => readonly string[];
  readonly #request: ProviderRequest;

  constructor(
    readonly provider: string,
    readonly model: string,
    readonly signal: AbortSignal | undefined,
    secrets: () => readonly string[],
    request: ProviderRequest,
  ) {
    this.#secrets = secrets;
    this.#request = request;
  }

  get secrets(): readonly string[] {
    return this.#secrets();
  }

  get requestContent(): RequestContent {
    return requestContentOf(this.#request);
  }
}

/** The {@link AdapterErrorContext} of an attempt at `request`, secrets read from `secrets()` when an error needs them. */
export function attemptErrorContext(provider: string, request: ProviderRequest, signal: AbortSignal | undefined, secrets: () => readonly string[]): AdapterErrorContext {
  return new LazyErrorContext(provider, request.model, signal, secrets, request);
}
