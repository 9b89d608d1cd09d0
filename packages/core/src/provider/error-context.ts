import type { RequestContent } from '../errors/echo.js';
import type { ProviderRequest } from './provider.js';
import { requestContentOf } from './request-content.js';
import type { AdapterErrorContext } from './transport-errors.js';

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
