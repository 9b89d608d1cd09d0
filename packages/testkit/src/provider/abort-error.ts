import { KeelError } from '@keel/core';

/**
 * The error a provider throws when its signal aborts: the reason itself when Keel aborted with
 * a KeelError (an attempt timeout, the deadline), `timeout` for `AbortSignal.timeout()`,
 * otherwise `aborted`.
 */
export function abortError(signal: AbortSignal, provider: string): KeelError {
  const reason: unknown = signal.reason;
  if (KeelError.is(reason)) return reason;
  if (reason instanceof Error && reason.name === 'TimeoutError') {
    return new KeelError('timeout', 'The request timed out.', { provider, cause: reason });
  }
  return new KeelError('aborted', 'The request was aborted.', { provider, cause: reason });
}

/** Resolves when the signal aborts (never, if it never does). */
export function whenAborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}
