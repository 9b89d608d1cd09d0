import {
  errorClassNames,
  errorDetail,
  isAbortError,
  KeelError,
  oneLine,
  readRetryDirective,
  socketCodeSuffix,
  transportFailure,
  type AdapterErrorContext,
  type HeaderSource,
  type KeelErrorKind,
} from '@keel/core';

/** What the mapper needs to know about the attempt an error came from. */
export type ErrorContext = AdapterErrorContext;

interface Rule {
  readonly kind: KeelErrorKind;
  /** Overrides the kind's default `retryable` flag. */
  readonly retryable?: boolean;
}

/**
 * Error codes (`error.code`, else `error.type`) win over statuses: OpenAI reports a context
 * overflow as a plain 400 and an empty quota as a plain 429.
 */
const BY_CODE: ReadonlyMap<string, Rule> = new Map<string, Rule>([
  ['context_length_exceeded', { kind: 'context_length' }],
  ['content_policy_violation', { kind: 'content_filter' }],
  // Azure OpenAI's prompt filter.
  ['content_filter', { kind: 'content_filter' }],
  // A prompt flagged by the usage-policy check (reasoning models).
  ['invalid_prompt', { kind: 'content_filter' }],
  // Billing, not load: waiting does not refill the quota.
  ['insufficient_quota', { kind: 'rate_limited', retryable: false }],
]);

/**
 * Statuses, following the SDK's own retry rule (408, 409, 429 and 5xx are transient). 409 is
 * a lock timeout or conflict on OpenAI's side, so it is a retryable `server` error, not a
 * caller mistake.
 */
const BY_STATUS: ReadonlyMap<number, Rule> = new Map<number, Rule>([
  [400, { kind: 'bad_request' }],
  [401, { kind: 'auth' }],
  [403, { kind: 'permission' }],
  [404, { kind: 'not_found' }],
  [408, { kind: 'timeout' }],
  [409, { kind: 'server', retryable: true }],
  [413, { kind: 'bad_request' }],
  [422, { kind: 'bad_request' }],
  [429, { kind: 'rate_limited' }],
  [500, { kind: 'server' }],
  [502, { kind: 'server' }],
  // OpenAI answers 503 for "engine overloaded" / "slow down": capacity, not a fault.
  [503, { kind: 'overloaded' }],
  [504, { kind: 'server' }],
  [529, { kind: 'overloaded' }],
]);

/** OpenAI-compatible servers (vLLM, older OpenAI) often send a context overflow without a code. */
const CONTEXT_LENGTH_MESSAGE = /maximum context length|context window/i;


/**
 * The fields of the SDK's `APIError` the mapper reads. Errors are classified by this shape and
 * the SDK's class names, never by `instanceof`: a client built from `require('openai')` throws
 * the CommonJS copy's classes, which are not the ones this ESM module imports.
 */
interface ApiErrorShape {
  readonly status?: number | undefined;
  readonly headers?: HeaderSource;
  /** The parsed `error` object of the body. */
  readonly error?: unknown;
  readonly code?: unknown;
  readonly type?: unknown;
  readonly message: string;
}

/**
 * Maps anything the `openai` SDK (or the fetch under it) throws to a {@link KeelError}. A
 * KeelError passes through unchanged; an abort becomes the signal's own KeelError reason when
 * Keel aborted the attempt (a timeout), else `aborted`.
 */
export function mapOpenAIError(error: unknown, context: ErrorContext): KeelError {
  if (context.signal?.aborted) return abortError(context.signal.reason, error, context);
  if (KeelError.is(error)) return error;
  const names = errorClassNames(error);
  if (names.has('APIUserAbortError') || isAbortError(error)) return abortError(undefined, error, context);
  if (names.has('APIConnectionTimeoutError')) {
    return create('timeout', `OpenAI request timed out: ${errorDetail(error)}`, error, context);
  }
  if (names.has('APIConnectionError')) {
    return create('connection', `OpenAI connection error${socketCodeSuffix(error)}: ${errorDetail(error)}`, error, context);
  }
  if (isApiError(error, names)) return fromApiError(error, context);
  const transport = transportFailure(error, 'OpenAI');
  if (transport) return create(transport.kind, transport.message, error, context);
  return create('server', `OpenAI request failed: ${errorDetail(error)}`, error, context);
}

function fromApiError(error: ApiErrorShape, context: ErrorContext): KeelError {
  const status = error.status;
  const code = typeof error.code === 'string' && error.code !== '' ? error.code : typeof error.type === 'string' ? error.type : undefined;
  const message = sdkMessage(error);
  const rule =
    (code !== undefined ? BY_CODE.get(code) : undefined) ??
    (status === 400 && CONTEXT_LENGTH_MESSAGE.test(message) ? { kind: 'context_length' as const } : undefined) ??
    (status !== undefined ? statusRule(status) : undefined) ??
    // No status: an error event inside a 200 stream. The server failed mid-answer.
    { kind: 'server' as const };
  const directive = readRetryDirective(error.headers);
  const label = status === undefined ? 'OpenAI stream error' : `OpenAI ${status}`;
  return new KeelError(rule.kind, `${label}${code ? ` ${code}` : ''}: ${message}`, {
    status,
    provider: context.provider,
    model: context.model,
    retryAfterMs: directive.retryAfterMs,
    retryable: directive.shouldRetry ?? rule.retryable,
    cause: error,
    secrets: context.secrets,
    requestContent: context.requestContent,
  });
}

function statusRule(status: number): Rule {
  return BY_STATUS.get(status) ?? (status >= 500 ? { kind: 'server' } : { kind: 'bad_request' });
}

function abortError(reason: unknown, error: unknown, context: ErrorContext): KeelError {
  // Keel aborts an attempt with a KeelError reason (attempt timeout, deadline): that is the error.
  if (KeelError.is(reason)) return reason;
  return create('aborted', 'OpenAI request aborted', error, context);
}

function create(kind: KeelErrorKind, message: string, cause: unknown, context: ErrorContext): KeelError {
  return new KeelError(kind, message, {
    provider: context.provider,
    model: context.model,
    cause,
    secrets: context.secrets,
    requestContent: context.requestContent,
  });
}

/** The API's own message, without the `429 ` prefix the SDK adds. */
function sdkMessage(error: ApiErrorShape): string {
  const body: unknown = error.error;
  const message = typeof body === 'object' && body !== null ? (body as { message?: unknown }).message : undefined;
  return oneLine(typeof message === 'string' ? message : error.message.replace(/^\d{3} /, ''));
}

/**
 * The SDK's `APIError` (any subclass), from any copy of the SDK; or, for a bundle that renamed
 * the classes, anything with an HTTP status and response headers.
 */
function isApiError(error: unknown, names: ReadonlySet<string>): error is ApiErrorShape {
  if (!(error instanceof Error)) return false;
  if (names.has('APIError')) return true;
  const { status, headers } = error as { status?: unknown; headers?: unknown };
  return typeof status === 'number' && Number.isInteger(status) && typeof headers === 'object' && headers !== null;
}

