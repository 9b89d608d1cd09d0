import { KeelError } from '@keel/core';
import type { ErrorContext } from './map-error.js';

// Failures the adapter itself detects in a response the SDK accepted.

/** The model set `refusal`. The refusal text stays out of the error: output can echo the prompt. */
export function refusalError(context: ErrorContext): KeelError {
  return new KeelError('refusal', 'OpenAI refusal: the model declined to answer', {
    provider: context.provider,
    model: context.model,
  });
}

/** A 200 whose body is not a chat completion (no choices, a non-JSON content type…). */
export function malformedResponseError(context: ErrorContext, what: string): KeelError {
  return new KeelError('server', `OpenAI sent a malformed response: ${what}`, {
    provider: context.provider,
    model: context.model,
  });
}

/**
 * The SDK ends a stream quietly when the body closes, with or without `[DONE]`. A stream that
 * never sent a finish reason is incomplete: `truncated` (carrying the text so far) once output
 * was sent, else a retryable `server` error since nothing reached the caller.
 */
export function incompleteStreamError(context: ErrorContext, partialText: string, sentOutput: boolean): KeelError {
  const options = { provider: context.provider, model: context.model };
  return sentOutput
    ? new KeelError('truncated', 'OpenAI stream ended without a finish reason', { ...options, partialText })
    : new KeelError('server', 'OpenAI stream ended before any output', options);
}
