import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import {
  AnthropicError,
  APIConnectionError,
  APIConnectionTimeoutError,
  APIError,
  APIUserAbortError,
  AuthenticationError,
  BadRequestError,
  ConflictError,
  ContentTooLargeError,
  InternalServerError,
  NotFoundError,
  OverloadedError,
  PermissionDeniedError,
  RateLimitError,
  RequestTimeoutError,
  ServiceUnavailableError,
} from '@anthropic-ai/sdk';
import { KeelError, type KeelErrorKind } from '@keel/core';
import { mapAnthropicError, type ErrorContext } from '../src/map-error.js';

// Not `sk-` shaped: only the exact-value scrub (context.secrets) can catch it.
const KEY = 'b3JhbmdlLWNhbmFyeS0wMTIzNDU2Nzg5';
const context: ErrorContext = { provider: 'anthropic', model: 'claude-test', secrets: [KEY] };

interface ErrorBody {
  readonly type?: string;
  readonly message?: string;
  readonly code?: string;
}

/** The error body the Messages API sends: `{ type: 'error', error: { type, message, details } }`. */
function body({ type, message, code }: ErrorBody): object {
  return {
    type: 'error',
    error: { type, message, ...(code ? { details: { error_code: code } } : {}) },
    request_id: 'req_011CTest',
  };
}

/** Builds the error the SDK would for an HTTP error response, through its own factory. */
function statusError(status: number, error: ErrorBody = {}, headers: Record<string, string> = {}): APIError {
  return APIError.generate(status, body(error), undefined, new Headers(headers));
}

/** What the SDK throws for `event: error` inside a 200 stream: no status, the 200's headers. */
function streamError(type: string, message = 'boom'): APIError {
  return new APIError(undefined, body({ type, message }), undefined, new Headers(), type as never);
}

interface Row {
  readonly name: string;
  readonly error: unknown;
  readonly kind: KeelErrorKind;
  readonly retryable: boolean;
  readonly status?: number;
  readonly retryAfterMs?: number;
}

const rows: Row[] = [
  {
    name: '400 invalid_request_error',
    error: statusError(400, { type: 'invalid_request_error', message: 'messages: field required' }),
    kind: 'bad_request',
    retryable: false,
    status: 400,
  },
  {
    name: '400 prompt is too long',
    error: statusError(400, { type: 'invalid_request_error', message: 'prompt is too long: 210000 tokens > 200000 maximum' }),
    kind: 'context_length',
    retryable: false,
    status: 400,
  },
  {
    name: '400 input + max_tokens exceed context limit',
    error: statusError(400, {
      type: 'invalid_request_error',
      message: 'input length and `max_tokens` exceed context limit: 188240 + 21333 > 200000, decrease input length or `max_tokens` and try again',
    }),
    kind: 'context_length',
    retryable: false,
  },
  { name: '400 with no body type', error: statusError(400), kind: 'bad_request', retryable: false },
  { name: '401 authentication_error', error: statusError(401, { type: 'authentication_error' }), kind: 'auth', retryable: false, status: 401 },
  { name: '402 billing_error', error: statusError(402, { type: 'billing_error' }), kind: 'rate_limited', retryable: false, status: 402 },
  { name: '403 permission_error', error: statusError(403, { type: 'permission_error' }), kind: 'permission', retryable: false, status: 403 },
  { name: '404 not_found_error', error: statusError(404, { type: 'not_found_error' }), kind: 'not_found', retryable: false, status: 404 },
  { name: '408', error: statusError(408), kind: 'timeout', retryable: true, status: 408 },
  { name: '409 (the SDK retries conflicts)', error: statusError(409), kind: 'server', retryable: true, status: 409 },
  {
    name: '408 with the catch-all invalid_request_error: the status decides',
    error: statusError(408, { type: 'invalid_request_error' }),
    kind: 'timeout',
    retryable: true,
  },
  { name: '409 conflict_error', error: statusError(409, { type: 'conflict_error' }), kind: 'server', retryable: true },
  { name: '500 overloaded_error: the specific type decides', error: statusError(500, { type: 'overloaded_error' }), kind: 'overloaded', retryable: true },
  {
    name: '413 request_too_large',
    error: statusError(413, { type: 'request_too_large' }),
    kind: 'context_length',
    retryable: false,
    status: 413,
  },
  {
    name: '413 request_body_too_large_after_decoding',
    error: statusError(413, { type: 'invalid_request_error', code: 'request_body_too_large_after_decoding' }),
    kind: 'context_length',
    retryable: false,
  },
  { name: '422', error: statusError(422), kind: 'bad_request', retryable: false, status: 422 },
  { name: 'other 4xx', error: statusError(418), kind: 'bad_request', retryable: false, status: 418 },
  {
    name: '429 rate_limit_error with retry-after',
    error: statusError(429, { type: 'rate_limit_error' }, { 'retry-after': '7' }),
    kind: 'rate_limited',
    retryable: true,
    status: 429,
    retryAfterMs: 7000,
  },
  {
    name: '429 retry-after-ms wins over retry-after',
    error: statusError(429, { type: 'rate_limit_error' }, { 'retry-after-ms': '150', 'retry-after': '9' }),
    kind: 'rate_limited',
    retryable: true,
    retryAfterMs: 150,
  },
  {
    name: '429 enforced_spend_limit_reached (billing, not load)',
    error: statusError(429, { type: 'rate_limit_error', code: 'enforced_spend_limit_reached' }),
    kind: 'rate_limited',
    retryable: false,
  },
  { name: '500 api_error', error: statusError(500, { type: 'api_error' }), kind: 'server', retryable: true, status: 500 },
  { name: '502 with no body', error: APIError.generate(502, undefined, 'Bad gateway', new Headers()), kind: 'server', retryable: true },
  { name: '503', error: statusError(503), kind: 'overloaded', retryable: true, status: 503 },
  { name: '504 timeout_error', error: statusError(504, { type: 'timeout_error' }), kind: 'timeout', retryable: true, status: 504 },
  { name: '504 from a proxy (no type)', error: statusError(504), kind: 'server', retryable: true, status: 504 },
  {
    name: '529 overloaded_error',
    error: statusError(529, { type: 'overloaded_error', message: 'Overloaded' }),
    kind: 'overloaded',
    retryable: true,
    status: 529,
  },
  {
    name: '529 x-should-retry: false',
    error: statusError(529, { type: 'overloaded_error' }, { 'x-should-retry': 'false' }),
    kind: 'overloaded',
    retryable: false,
  },
  {
    name: '400 x-should-retry: true',
    error: statusError(400, { type: 'invalid_request_error' }, { 'x-should-retry': 'true' }),
    kind: 'bad_request',
    retryable: true,
  },
  { name: 'stream event overloaded_error (no status)', error: streamError('overloaded_error'), kind: 'overloaded', retryable: true },
  { name: 'stream event api_error (no status)', error: streamError('api_error'), kind: 'server', retryable: true },
  { name: 'stream event of an unknown type (no status)', error: streamError('brand_new_error'), kind: 'server', retryable: true },
  { name: 'stream event invalid_request_error', error: streamError('invalid_request_error'), kind: 'bad_request', retryable: false },
  { name: 'APIConnectionTimeoutError', error: new APIConnectionTimeoutError(), kind: 'timeout', retryable: true },
  {
    name: 'APIConnectionError',
    error: new APIConnectionError({ message: 'Connection error.', cause: Object.assign(new Error('x'), { code: 'ECONNREFUSED' }) }),
    kind: 'connection',
    retryable: true,
  },
  {
    name: 'TypeError terminated (socket closed mid-body)',
    error: new TypeError('terminated', { cause: Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' }) }),
    kind: 'connection',
    retryable: true,
  },
  {
    name: 'undici body timeout',
    error: new TypeError('terminated', { cause: Object.assign(new Error('Body Timeout Error'), { code: 'UND_ERR_BODY_TIMEOUT' }) }),
    kind: 'timeout',
    retryable: true,
  },
  { name: 'SyntaxError (malformed JSON or SSE)', error: new SyntaxError('Unexpected end of JSON input'), kind: 'server', retryable: true },
  {
    name: 'no credentials (thrown before sending)',
    error: new Error('Could not resolve authentication method. Expected one of apiKey, authToken, credentials, config, or profile to be set.'),
    kind: 'auth',
    retryable: false,
  },
  { name: 'a client-side AnthropicError', error: new AnthropicError('something odd'), kind: 'server', retryable: true },
  { name: 'APIUserAbortError without a signal', error: new APIUserAbortError(), kind: 'aborted', retryable: false },
];

describe('mapAnthropicError', () => {
  it.each(rows)('$name → $kind', (row) => {
    const mapped = mapAnthropicError(row.error, context);
    expect(KeelError.is(mapped)).toBe(true);
    expect(mapped.kind).toBe(row.kind);
    expect(mapped.retryable).toBe(row.retryable);
    expect(mapped.provider).toBe('anthropic');
    expect(mapped.model).toBe('claude-test');
    if (row.status !== undefined) expect(mapped.status).toBe(row.status);
    if (row.retryAfterMs !== undefined) expect(mapped.retryAfterMs).toBe(row.retryAfterMs);
  });

  it('the SDK builds one class per status, and each maps as its status says', () => {
    const classes = [
      [BadRequestError, 400, 'bad_request'],
      [AuthenticationError, 401, 'auth'],
      [PermissionDeniedError, 403, 'permission'],
      [NotFoundError, 404, 'not_found'],
      [RequestTimeoutError, 408, 'timeout'],
      [ConflictError, 409, 'server'],
      [ContentTooLargeError, 413, 'context_length'],
      [RateLimitError, 429, 'rate_limited'],
      [InternalServerError, 500, 'server'],
      [ServiceUnavailableError, 503, 'overloaded'],
      [OverloadedError, 529, 'overloaded'],
    ] as const;
    for (const [ErrorClass, status, kind] of classes) {
      const error = statusError(status);
      expect(error).toBeInstanceOf(ErrorClass);
      expect(mapAnthropicError(error, context).kind).toBe(kind);
    }
  });

  it('writes a short message with status, type and the API message', () => {
    const mapped = mapAnthropicError(statusError(529, { type: 'overloaded_error', message: 'Overloaded' }), context);
    expect(mapped.message).toBe('Anthropic 529 overloaded_error: Overloaded');
    expect(mapped.cause).toMatchObject({ name: 'OverloadedError', status: 529, type: 'overloaded_error' });
  });

  it('names a mid-stream error as such, and the error_code when there is one', () => {
    expect(mapAnthropicError(streamError('overloaded_error', 'Overloaded'), context).message).toBe(
      'Anthropic stream error overloaded_error: Overloaded',
    );
    const coded = statusError(429, { type: 'rate_limit_error', message: 'Ramp limit', code: 'ramp_limit_exceeded' });
    expect(mapAnthropicError(coded, context).message).toBe('Anthropic 429 rate_limit_error (ramp_limit_exceeded): Ramp limit');
  });

  it('bounds a huge non-JSON body (a 502 HTML page) to one short line', () => {
    const html = `<html>\n${'<p>bad gateway</p>\n'.repeat(500)}</html>`;
    const mapped = mapAnthropicError(APIError.generate(502, undefined, html, new Headers()), context);
    expect(mapped.message.length).toBeLessThan(300);
    expect(mapped.message).not.toContain('\n');
  });

  it('falls back to the exhausted limit reset time on a 429 without retry-after', () => {
    const now = Date.now();
    const headers = {
      'anthropic-ratelimit-requests-remaining': '12',
      'anthropic-ratelimit-requests-reset': new Date(now + 60_000).toISOString(),
      'anthropic-ratelimit-output-tokens-remaining': '0',
      'anthropic-ratelimit-output-tokens-reset': new Date(now + 4_000).toISOString(),
    };
    const mapped = mapAnthropicError(statusError(429, { type: 'rate_limit_error' }, headers), context);
    expect(mapped.retryAfterMs).toBeGreaterThan(3_000);
    expect(mapped.retryAfterMs).toBeLessThanOrEqual(4_000);
    // retry-after, when sent, wins.
    const withRetryAfter = statusError(429, { type: 'rate_limit_error' }, { ...headers, 'retry-after': '1' });
    expect(mapAnthropicError(withRetryAfter, context).retryAfterMs).toBe(1000);
    // Only a 429 reads the reset headers: every response carries them.
    expect(mapAnthropicError(statusError(529, { type: 'overloaded_error' }, headers), context).retryAfterMs).toBeUndefined();
  });

  it('rethrows the signal reason when Keel aborted the attempt with a KeelError', () => {
    const reason = new KeelError('timeout', 'attempt timed out');
    const controller = new AbortController();
    controller.abort(reason);
    expect(mapAnthropicError(new APIUserAbortError(), { ...context, signal: controller.signal })).toBe(reason);
    // Whatever the transport threw once the signal fired, the abort decides.
    expect(mapAnthropicError(new TypeError('terminated'), { ...context, signal: controller.signal })).toBe(reason);
  });

  it('maps a caller abort with a plain reason to aborted', () => {
    const controller = new AbortController();
    controller.abort();
    const mapped = mapAnthropicError(new APIUserAbortError(), { ...context, signal: controller.signal });
    expect(mapped.kind).toBe('aborted');
    expect(mapped.retryable).toBe(false);
  });

  it('passes a KeelError through unchanged', () => {
    const error = new KeelError('refusal', 'declined');
    expect(mapAnthropicError(error, context)).toBe(error);
  });

  it('never lets the API key through, whichever field it hides in', () => {
    const leaky = [
      statusError(401, { type: 'authentication_error', message: `invalid x-api-key ${KEY}` }),
      statusError(401, { type: 'authentication_error', message: 'invalid key sk-ant-canar**************cdef' }),
      statusError(400, { type: 'invalid_request_error', message: `echo: x-api-key: ${KEY}`, code: KEY }),
      APIError.generate(502, undefined, `<html>upstream said Authorization: Bearer ${KEY}</html>`, new Headers()),
      streamError('overloaded_error', `overloaded for ${KEY}`),
      new APIConnectionError({ message: `connect failed Authorization: Bearer ${KEY}` }),
      new Error(`${KEY} in a plain error`),
    ];
    for (const error of leaky) {
      const mapped = mapAnthropicError(error, context);
      for (const text of [mapped.message, JSON.stringify(mapped), inspect(mapped, { depth: 10 }), mapped.stack ?? '', String(mapped)]) {
        expect(text).not.toContain(KEY);
        expect(text).not.toContain('sk-ant-canar');
      }
    }
  });

  describe('by shape, not by class identity', () => {
    // What a bundle that renamed the SDK's classes, or another copy of the SDK, throws.
    class Renamed extends Error {
      constructor(
        readonly status: number | undefined,
        readonly headers: unknown,
        readonly error: unknown,
      ) {
        super(`${status} ${JSON.stringify(error)}`);
      }
    }

    it('an error with an HTTP status and plain-object headers is an API error', () => {
      const body = { type: 'error', error: { type: 'rate_limit_error', message: 'slow down' } };
      const mapped = mapAnthropicError(new Renamed(429, { 'Retry-After': '2' }, body), context);
      expect(mapped).toMatchObject({ kind: 'rate_limited', status: 429, retryAfterMs: 2000, retryable: true });
      // The reset fallback reads plain records too.
      const reset = { 'anthropic-ratelimit-requests-remaining': '0', 'anthropic-ratelimit-requests-reset': new Date(Date.now() + 60_000).toISOString() };
      expect(mapAnthropicError(new Renamed(429, reset, body), context).retryAfterMs).toBeGreaterThan(0);
    });

    it('an error without headers is not taken for an HTTP error', () => {
      expect(mapAnthropicError(new Renamed(400, undefined, {}), context).status).toBeUndefined();
    });

    it('the SDK class names decide, whatever module instance defined them', () => {
      const named = (name: string) => Object.defineProperty(new Error('x'), 'name', { value: name });
      expect(mapAnthropicError(named('APIConnectionTimeoutError'), context).kind).toBe('timeout');
      expect(mapAnthropicError(named('APIConnectionError'), context).kind).toBe('connection');
      expect(mapAnthropicError(named('APIUserAbortError'), context).kind).toBe('aborted');
    });
  });
});
