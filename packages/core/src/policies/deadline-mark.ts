/**
 * Marks the errors raised because the call's total deadline ran out (the caller's `deadlineMs`
 * or the feature's `totalMs`), as opposed to an attempt or first-token timeout. Both are kind
 * `timeout`; only the breaker needs to tell them apart: a deadline says how long the caller
 * would wait, not how healthy the provider is.
 */
const deadlineErrors = new WeakSet<object>();

export function markDeadline<E extends object>(error: E): E {
  deadlineErrors.add(error);
  return error;
}

export function isDeadlineError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && deadlineErrors.has(error);
}
