import { KeelError, type KeelErrorKind } from '@keel/core';

/**
 * The HTTP status a service answers when its model call failed. The model is this service's
 * upstream: a problem with the caller's request is a 4xx, the upstream's own failures are 502 /
 * 503 / 504 — and a 401 from the provider means this service's key is wrong, a 502, not the
 * caller's fault and not "unavailable".
 */
const STATUS_BY_KIND: Record<KeelErrorKind, number> = {
  bad_request: 400,
  context_length: 413,
  content_filter: 422,
  validation: 502,
  refusal: 422,
  rate_limited: 429,
  budget_exceeded: 429,
  circuit_open: 503,
  overloaded: 503,
  timeout: 504,
  connection: 502,
  server: 502,
  auth: 502,
  permission: 502,
  not_found: 502,
  truncated: 502,
  aborted: 499,
};

export function httpStatusOf(error: unknown): number {
  return KeelError.is(error) ? STATUS_BY_KIND[error.kind] : 500;
}
