import { KeelError } from '@keel/core';

/**
 * @keel/openai maps the SDK's errors by OpenAI's codes. llama-server speaks the same wire format
 * with its own `error.type`s; this refines the few that mean something else here.
 */
export function refineError(error: unknown): unknown {
  if (!KeelError.is(error)) return error;
  const relabelled = error.message.replace(/^OpenAI/, 'llama-server');
  // The prompt plus the output cap does not fit the slot's context (`--ctx-size` / `--parallel`).
  if (error.cause?.type === 'exceed_context_size_error') {
    return error.with({ kind: 'context_length', message: relabelled });
  }
  return relabelled === error.message ? error : error.with({ message: relabelled });
}

/** The 503 llama-server answers every route with until the model is loaded. */
export function isLoadingError(error: unknown): boolean {
  return KeelError.is(error) && error.status === 503 && error.cause?.type === 'unavailable_error' && /loading model/i.test(error.cause.message);
}
