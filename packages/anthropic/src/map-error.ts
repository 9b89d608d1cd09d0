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
import { readRateLimitReset } from './rate-limit-reset.js';

/** What the mapper needs to know about the attempt an error came from. */
export type ErrorContext = AdapterErrorContext;

interface Rule {
  readonly kind: KeelErrorKind;
  /** Overrides the kind's default `retryable` flag. */
  readonly retryable?: boolean;
}

/**
 * `error.details.error_code`: the stable cause newer API versions send. It wins over the type
 * and the status, which are coarser.
 */
const BY_CODE: ReadonlyMap<string, Rule> = new Map<string, Rule>([
  // 413: the body is over the size limit once decompressed. Same remedy as `request_too_large`.
  ['request_body_too_large_after_decoding', { kind: 'context_length' }],
  // 429 / 402 spend limits: billing, not load. Waiting does not raise the limit.
  ['contract_spend_limit_reached', { kind: 'rate_limited', retryable: false }],
  ['enforced_spend_limit_reached', { kind: 'rate_limited', retryable: false }],
  ['linked_organization_spend_limit_reached', { kind: 'rate_limited', retryable: false }],
]);

/**
 * `error.type` when it is specific: Anthropic's own category wins over the status (a 504 with
 * `timeout_error` is a timeout, a proxy's bare 504 is not).
 */
const BY_TYPE: ReadonlyMap<string, Rule> = new Map<string, Rule>([
  ['authentication_error', { kind: 'auth' }],
  // 402 "credit balance is too low": billing, so not retryable; another provider may still answer.
  ['billing_error', { kind: 'rate_limited', retryable: false }],
  ['permission_error', { kind: 'permission' }],
  ['not_found_error', { kind: 'not_found' }],
  // 413 "Request exceeds the maximum allowed number of bytes": the caller sent too much, and the
  // remedy is the one for an over-long prompt (send less), so it is not a plain bad_request.
  ['request_too_large', { kind: 'context_length' }],
  ['rate_limit_error', { kind: 'rate_limited' }],
  // 504 from Anthropic: the request took too long upstream.
  ['timeout_error', { kind: 'timeout' }],
  ['overloaded_error', { kind: 'overloaded' }],
]);

/**
 * Catch-all types (any 4xx, any 5xx): the status says more, so they decide only when there is
 * none, i.e. for an `event: error` inside a 200 stream.
 */
const BY_GENERIC_TYPE: ReadonlyMap<string, Rule> = new Map<string, Rule>([
  ['invalid_request_error', { kind: 'bad_request' }],
  ['api_error', { kind: 'server' }],
]);

/**
 * Statuses, for bodies without a specific type (a catch-all type, a proxy's page, a future
 * type). They follow the SDK's own retry rule: 408, 409, 429 and 5xx are transient.
 */
const BY_STATUS: ReadonlyMap<number, Rule> = new Map<number, Rule>([
  [400, { kind: 'bad_request' }],
  [401, { kind: 'auth' }],
  [402, { kind: 'rate_limited', retryable: false }],
  [403, { kind: 'permission' }],
  [404, { kind: 'not_found' }],
  [408, { kind: 'timeout' }],
  // A conflict the SDK treats as a lock timeout and retries: transient, not a caller mistake.
  [409, { kind: 'server', retryable: true }],
  [413, { kind: 'context_length' }],
  [422, { kind: 'bad_request' }],
  [429, { kind: 'rate_limited' }],
  [500, { kind: 'server' }],
  [502, { kind: 'server' }],
  [503, { kind: 'overloaded' }],
  [504, { kind: 'server' }],
  [529, { kind: 'overloaded' }],
]);

/**
 * Anthropic reports a context overflow as a plain `invalid_request_error`: "prompt is too long:
 * 210000 tokens > 200000 maximum", or "input length and `max_tokens` exceed context limit: …".
 */
const CONTEXT_LENGTH_MESSAGE = /prompt is too long|exceed(?:s)? (?:the )?context (?:limit|window)/i;

/** The SDK's client-side credential failures (thrown before any request is sent). */
const CREDENTIAL_MESSAGE = /could not resolve authentication method|`apiKey` function|credentials? (?:file|provider)/i;


/**
 * The fields of the SDK's `APIError` the mapper reads. Errors are classified by this shape and
 * the SDK's class names, never by `instanceof`: a client built from `require('@anthropic-ai/sdk')`
 * throws the CommonJS copy's classes, which are not the ones this ESM module imports.
 */
interface ApiErrorShape {
  readonly status?: number | undefined;
  readonly headers?: HeaderSource;
  /** The parsed body: `{ type: 'error', error: { type, message, details } }`. */
  readonly error?: unknown;
  readonly type?: unknown;
  readonly message: string;
}

/**
 * Maps anything the `@anthropic-ai/sdk` client (or the fetch under it) throws to a
 * {@link KeelError}. A KeelError passes through unchanged; an abort becomes the signal's own
 * KeelError reason when Keel aborted the attempt (a timeout), else `aborted`.
 */
export function mapAnthropicError(error: unknown, context: ErrorContext): KeelError {
  if (context.signal?.aborted) return abortError(context.signal.reason, error, context);
  if (KeelError.is(error)) return error;
  const names = errorClassNames(error);
  if (names.has('APIUserAbortError') || isAbortError(error)) return abortError(undefined, error, context);
  if (names.has('APIConnectionTimeoutError')) {
    return create('timeout', `Anthropic request timed out: ${errorDetail(error)}`, error, context);
  }
  if (names.has('APIConnectionError')) {
    return create('connection', `Anthropic connection error${socketCodeSuffix(error)}: ${errorDetail(error)}`, error, context);
  }
  if (isApiError(error, names)) return fromApiError(error, context);
  const transport = transportFailure(error, 'Anthropic');
  if (transport) return create(transport.kind, transport.message, error, context);
  if (error instanceof Error && CREDENTIAL_MESSAGE.test(error.message)) {
    return create('auth', `Anthropic client has no usable credentials: ${errorDetail(error)}`, error, context);
  }
  return create('server', `Anthropic request failed: ${errorDetail(error)}`, error, context);
}

function fromApiError(error: ApiErrorShape, context: ErrorContext): KeelError {
  const status = error.status;
  const { type, code, message } = bodyFields(error);
  const rule =
    (code !== undefined ? BY_CODE.get(code) : undefined) ??
    (isContextOverflow(status, type, message) ? { kind: 'context_length' as const } : undefined) ??
    (type !== undefined ? BY_TYPE.get(type) : undefined) ??
    (status !== undefined ? statusRule(status) : undefined) ??
    (type !== undefined ? BY_GENERIC_TYPE.get(type) : undefined) ??
    // No status and no known type: an error event inside a 200 stream. The server failed mid-answer.
    { kind: 'server' as const };
  const directive = readRetryDirective(error.headers);
  // Anthropic sends retry-after on a 429; without it, the exhausted limit's reset time will do.
  const retryAfterMs = directive.retryAfterMs ?? (status === 429 ? readRateLimitReset(error.headers) : undefined);
  const label = status === undefined ? 'Anthropic stream error' : `Anthropic ${status}`;
  const names = `${type ? ` ${type}` : ''}${code ? ` (${code})` : ''}`;
  return new KeelError(rule.kind, `${label}${names}: ${message}`, {
    status,
    provider: context.provider,
    model: context.model,
    retryAfterMs,
    retryable: directive.shouldRetry ?? rule.retryable,
    cause: error,
    secrets: context.secrets,
    requestContent: context.requestContent,
  });
}

function statusRule(status: number): Rule {
  return BY_STATUS.get(status) ?? (status >= 500 ? { kind: 'server' } : { kind: 'bad_request' });
}

function isContextOverflow(status: number | undefined, type: string | undefined, message: string): boolean {
  const invalidRequest = type === 'invalid_request_error' || (type === undefined && status === 400);
  return invalidRequest && CONTEXT_LENGTH_MESSAGE.test(message);
}

interface BodyFields {
  readonly type: string | undefined;
  readonly code: string | undefined;
  /** The API's own message, short, without the `529 ` prefix and JSON the SDK puts around it. */
  readonly message: string;
}

/**
 * Reads `{ type: 'error', error: { type, message, details: { error_code } } }`, the body of both
 * an error response and an `event: error` frame. Read from the body rather than the SDK's
 * `type` / `apiMessage` / `errorCode` fields, which older SDK versions lack.
 */
function bodyFields(error: ApiErrorShape): BodyFields {
  const inner = field(error.error, 'error');
  const type = stringField(inner, 'type') ?? stringField(error, 'type');
  const code = stringField(field(inner, 'details'), 'error_code');
  const message = stringField(inner, 'message') ?? error.message.replace(/^\d{3} /, '');
  return { type, code, message: oneLine(message) };
}

function field(value: unknown, name: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[name] : undefined;
}

function stringField(value: unknown, name: string): string | undefined {
  const found = field(value, name);
  return typeof found === 'string' && found !== '' ? found : undefined;
}

function abortError(reason: unknown, error: unknown, context: ErrorContext): KeelError {
  // Keel aborts an attempt with a KeelError reason (attempt timeout, deadline): that is the error.
  if (KeelError.is(reason)) return reason;
  return create('aborted', 'Anthropic request aborted', error, context);
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

