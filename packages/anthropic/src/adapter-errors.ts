import { KeelError } from '@keel/core';
import type { ErrorContext } from './map-error.js';

// Failures the adapter itself detects in a response the SDK accepted.

/** The refusal categories Anthropic names in `stop_details.category`; anything else is dropped. */
const REFUSAL_CATEGORY = /^[a-z_]{1,40}$/;

/**
 * The model stopped with `stop_reason: "refusal"`. The category (`cyber`, `bio`…) is kept; the
 * text and explanation stay out of the error, since output can echo the prompt.
 */
export function refusalError(context: ErrorContext, category?: unknown): KeelError {
  const named = typeof category === 'string' && REFUSAL_CATEGORY.test(category) ? ` (${category})` : '';
  return new KeelError('refusal', `Anthropic refusal${named}: the model declined to answer`, {
    provider: context.provider,
    model: context.model,
  });
}

/** A 200 whose body is not a Message (no content array, a non-JSON content type…). */
export function malformedResponseError(context: ErrorContext, what: string): KeelError {
  return new KeelError('server', `Anthropic sent a malformed response: ${what}`, {
    provider: context.provider,
    model: context.model,
  });
}

/**
 * The SDK ends a stream quietly when the body closes, with or without `message_stop`. A stream
 * that never sent a stop reason is incomplete: `truncated` (carrying the text so far) once output
 * was sent, else a retryable `server` error since nothing reached the caller.
 */
export function incompleteStreamError(context: ErrorContext, partialText: string, sentOutput: boolean): KeelError {
  const options = { provider: context.provider, model: context.model };
  return sentOutput
    ? new KeelError('truncated', 'Anthropic stream ended without a stop reason', { ...options, partialText })
    : new KeelError('server', 'Anthropic stream ended before any output', options);
}
