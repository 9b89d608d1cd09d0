/**
 * Every way a Keel call can fail. One const map is the single source of truth: the `kind`
 * union, the default `retryable` flag and the docs all derive from it.
 */
export const ERROR_KINDS = {
  /** 429 from the provider, or a wait that does not fit the deadline. */
  rate_limited: { retryable: true },
  /** The provider says it is overloaded (Anthropic 529, OpenAI 503 "overloaded"). */
  overloaded: { retryable: true },
  /** 5xx from the provider. */
  server: { retryable: true },
  /** An attempt timeout, time-to-first-token, stream idle, or the total deadline. */
  timeout: { retryable: true },
  /** The connection failed or was reset before a response. */
  connection: { retryable: true },
  /** The prompt plus `maxTokens` does not fit the model's context window. */
  context_length: { retryable: false },
  /** The provider's safety system refused the input or output. */
  content_filter: { retryable: false },
  /** 401: the API key is missing or wrong. */
  auth: { retryable: false },
  /** 403: the key may not use this model or resource. */
  permission: { retryable: false },
  /** 404: unknown model or route. */
  not_found: { retryable: false },
  /** The request is invalid: rejected by Keel before sending, or a 400/413/422 upstream. */
  bad_request: { retryable: false },
  /** A token or cost budget has no room left for this call. */
  budget_exceeded: { retryable: false },
  /** The circuit breaker for this provider+model is open; nothing was sent. */
  circuit_open: { retryable: false },
  /** The model's output failed the structured-output schema. */
  validation: { retryable: false },
  /** The model declined to answer. */
  refusal: { retryable: false },
  /** The output was cut short: a stream ended after its first token without finishing. */
  truncated: { retryable: false },
  /** The caller aborted the call. */
  aborted: { retryable: false },
} as const satisfies Record<string, { retryable: boolean }>;

export type KeelErrorKind = keyof typeof ERROR_KINDS;

export const KEEL_ERROR_KINDS = Object.keys(ERROR_KINDS) as readonly KeelErrorKind[];

export function isRetryableKind(kind: KeelErrorKind): boolean {
  return ERROR_KINDS[kind].retryable;
}

/**
 * Kinds that say nothing about the provider's health: the caller or the content caused them.
 * The circuit breaker does not count them as failures.
 */
export const CALLER_CAUSED_KINDS: ReadonlySet<KeelErrorKind> = new Set<KeelErrorKind>([
  'bad_request',
  'auth',
  'permission',
  'not_found',
  'context_length',
  'content_filter',
  'aborted',
  'budget_exceeded',
  'validation',
  'refusal',
]);
