import { KeelError } from '../errors/keel-error.js';
import type { AttemptContext } from '../pipeline/context.js';

/**
 * Normalises whatever an attempt threw into a KeelError that names its provider and model.
 * When the attempt's signal was aborted, its reason (a KeelError Keel chose) wins over whatever
 * the provider threw while being cancelled. A non-Keel error from a provider is an adapter bug:
 * it becomes a non-retryable `server` error rather than being retried blindly.
 */
export function toKeelError(error: unknown, context: Pick<AttemptContext, 'provider' | 'model' | 'signal'>): KeelError {
  const reason: unknown = context.signal.aborted ? context.signal.reason : undefined;
  const chosen = KeelError.is(reason) ? reason : error;
  if (KeelError.is(chosen)) {
    return chosen.provider && chosen.model
      ? chosen
      : chosen.with({ provider: chosen.provider ?? context.provider, model: chosen.model ?? context.model });
  }
  return new KeelError('server', `Provider "${context.provider}" failed with a non-Keel error`, {
    retryable: false,
    provider: context.provider,
    model: context.model,
    cause: chosen,
  });
}
