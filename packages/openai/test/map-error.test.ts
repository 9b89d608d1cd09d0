import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import {
  APIConnectionError,
  APIConnectionTimeoutError,
  APIError,
  APIUserAbortError,
  OpenAIError,
} from 'openai';
import { KeelError, type KeelErrorKind } from '@keel/core';
import { mapOpenAIError, type ErrorContext } from '../src/map-error.js';

// Not `sk-` shaped: only the exact-value scrub (context.secrets) can catch it.
const KEY = 'Qm9vZGxlLWNhbmFyeS0wMTIzNDU2Nzg5';
const context: ErrorContext = { provider: 'openai', model: 'gpt-test', secrets: [KEY] };

/** Builds the error the SDK would for an HTTP error response, through its own factory. */
function statusError(
  status: number,
  error: { message?: string; type?: string; code?: string } = {},
  headers: Record<string, string> = {},
): APIError {
  return APIError.generate(status, { error }, undefined, new Headers(headers));
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
  { name: '400', error: statusError(400, { message: 'bad' }), kind: 'bad_request', retryable: false, status: 400 },
  {
    name: '400 context_length_exceeded',
    error: statusError(400, { message: 'too long', code: 'context_length_exceeded', type: 'invalid_request_error' }),
    kind: 'context_length',
    retryable: false,
    status: 400,
  },
  {
    name: '400 context overflow without a code (compatible servers)',
    error: statusError(400, { message: "This model's maximum context length is 8192 tokens" }),
    kind: 'context_length',
    retryable: false,
  },
  {
    name: '400 content_policy_violation',
    error: statusError(400, { message: 'no', code: 'content_policy_violation' }),
    kind: 'content_filter',
    retryable: false,
  },
  { name: '400 content_filter (Azure)', error: statusError(400, { code: 'content_filter' }), kind: 'content_filter', retryable: false },
  { name: '401', error: statusError(401, { message: 'nope' }), kind: 'auth', retryable: false, status: 401 },
  { name: '403', error: statusError(403), kind: 'permission', retryable: false, status: 403 },
  { name: '404', error: statusError(404, { code: 'model_not_found' }), kind: 'not_found', retryable: false, status: 404 },
  { name: '408', error: statusError(408), kind: 'timeout', retryable: true, status: 408 },
  { name: '409 (SDK retries lock timeouts)', error: statusError(409), kind: 'server', retryable: true, status: 409 },
  { name: '413', error: statusError(413), kind: 'bad_request', retryable: false, status: 413 },
  { name: '422', error: statusError(422), kind: 'bad_request', retryable: false, status: 422 },
  { name: 'other 4xx', error: statusError(418), kind: 'bad_request', retryable: false, status: 418 },
  {
    name: '429 rate_limit_exceeded with retry-after',
    error: statusError(429, { code: 'rate_limit_exceeded' }, { 'retry-after': '2' }),
    kind: 'rate_limited',
    retryable: true,
    status: 429,
    retryAfterMs: 2000,
  },
  {
    name: '429 retry-after-ms wins over retry-after',
    error: statusError(429, {}, { 'retry-after-ms': '150', 'retry-after': '9' }),
    kind: 'rate_limited',
    retryable: true,
    retryAfterMs: 150,
  },
  {
    name: '429 insufficient_quota',
    error: statusError(429, { code: 'insufficient_quota', type: 'insufficient_quota' }),
    kind: 'rate_limited',
    retryable: false,
  },
  { name: '500', error: statusError(500), kind: 'server', retryable: true, status: 500 },
  { name: '502', error: statusError(502), kind: 'server', retryable: true, status: 502 },
  { name: '503', error: statusError(503), kind: 'overloaded', retryable: true, status: 503 },
  { name: '504', error: statusError(504), kind: 'server', retryable: true, status: 504 },
  { name: '529', error: statusError(529), kind: 'overloaded', retryable: true, status: 529 },
  { name: 'other 5xx', error: statusError(599), kind: 'server', retryable: true, status: 599 },
  {
    name: 'x-should-retry: false overrides a 500',
    error: statusError(500, {}, { 'x-should-retry': 'false' }),
    kind: 'server',
    retryable: false,
  },
  {
    name: 'x-should-retry: true overrides a 400',
    error: statusError(400, {}, { 'x-should-retry': 'true' }),
    kind: 'bad_request',
    retryable: true,
  },
  {
    name: 'mid-stream error event (APIError, no status)',
    error: new APIError(undefined, { message: 'boom', type: 'server_error' }, undefined, new Headers()),
    kind: 'server',
    retryable: true,
  },
  {
    name: 'mid-stream error event with a known code',
    error: new APIError(undefined, { message: 'x', code: 'context_length_exceeded' }, undefined, new Headers()),
    kind: 'context_length',
    retryable: false,
  },
  { name: 'APIConnectionTimeoutError', error: new APIConnectionTimeoutError(), kind: 'timeout', retryable: true },
  {
    name: 'APIConnectionError',
    error: new APIConnectionError({ cause: Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } }) }),
    kind: 'connection',
    retryable: true,
  },
  { name: 'APIUserAbortError', error: new APIUserAbortError(), kind: 'aborted', retryable: false },
  { name: 'DOMException AbortError', error: new DOMException('aborted', 'AbortError'), kind: 'aborted', retryable: false },
  {
    name: 'socket reset mid-body (undici "terminated")',
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
  {
    name: 'malformed JSON (SyntaxError)',
    error: new SyntaxError('Error reading response: malformed server-sent event JSON.'),
    kind: 'server',
    retryable: true,
  },
  { name: 'other OpenAIError', error: new OpenAIError('Attempted to iterate over a response with no body'), kind: 'server', retryable: true },
  { name: 'unknown value', error: 'weird', kind: 'server', retryable: true },
];

describe('mapOpenAIError', () => {
  it.each(rows)('$name → $kind', (row) => {
    const mapped = mapOpenAIError(row.error, context);
    expect(KeelError.is(mapped)).toBe(true);
    expect(mapped.kind).toBe(row.kind);
    expect(mapped.retryable).toBe(row.retryable);
    expect(mapped.provider).toBe('openai');
    expect(mapped.model).toBe('gpt-test');
    if (row.status !== undefined) expect(mapped.status).toBe(row.status);
    if (row.retryAfterMs !== undefined) expect(mapped.retryAfterMs).toBe(row.retryAfterMs);
  });

  it('writes a short message with status, code and the API message', () => {
    const mapped = mapOpenAIError(statusError(429, { message: 'Rate limit reached', code: 'rate_limit_exceeded' }), context);
    expect(mapped.message).toBe('OpenAI 429 rate_limit_exceeded: Rate limit reached');
    expect(mapped.cause).toMatchObject({ status: 429, code: 'rate_limit_exceeded' });
  });

  it('bounds a huge non-JSON body (a 502 HTML page) to one short line', () => {
    const html = `<html>\n${'<p>bad gateway</p>\n'.repeat(500)}</html>`;
    const mapped = mapOpenAIError(APIError.generate(502, undefined, html, new Headers()), context);
    expect(mapped.message.length).toBeLessThan(300);
    expect(mapped.message).not.toContain('\n');
  });

  it('rethrows the signal reason when Keel aborted the attempt with a KeelError', () => {
    const reason = new KeelError('timeout', 'attempt timed out');
    const controller = new AbortController();
    controller.abort(reason);
    expect(mapOpenAIError(new APIUserAbortError(), { ...context, signal: controller.signal })).toBe(reason);
    // Whatever the transport threw once the signal fired, the abort decides.
    expect(mapOpenAIError(new TypeError('terminated'), { ...context, signal: controller.signal })).toBe(reason);
  });

  it('maps a caller abort with a plain reason to aborted', () => {
    const controller = new AbortController();
    controller.abort();
    const mapped = mapOpenAIError(new APIUserAbortError(), { ...context, signal: controller.signal });
    expect(mapped.kind).toBe('aborted');
  });

  it('passes a KeelError through unchanged', () => {
    const error = new KeelError('refusal', 'declined');
    expect(mapOpenAIError(error, context)).toBe(error);
  });

  it('never lets the API key through, whichever field it hides in', () => {
    const leaky = [
      statusError(401, { message: `Incorrect API key provided: ${KEY}. You can find your API key at ...`, code: 'invalid_api_key' }),
      statusError(401, { message: 'Incorrect API key provided: sk-canar**************cdef', code: KEY }),
      new APIConnectionError({ message: `connect failed Authorization: Bearer ${KEY}` }),
      new Error(`${KEY} in a plain error`),
    ];
    for (const error of leaky) {
      const mapped = mapOpenAIError(error, context);
      for (const text of [mapped.message, JSON.stringify(mapped), inspect(mapped, { depth: 10 }), mapped.stack ?? '', String(mapped)]) {
        expect(text).not.toContain(KEY);
        expect(text).not.toContain('sk-canar');
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
      const mapped = mapOpenAIError(new Renamed(429, { 'Retry-After': '2' }, { message: 'slow down', code: 'rate_limit_exceeded' }), context);
      expect(mapped).toMatchObject({ kind: 'rate_limited', status: 429, retryAfterMs: 2000, retryable: true });
      expect(mapOpenAIError(new Renamed(401, new Headers(), { message: 'no' }), context)).toMatchObject({ kind: 'auth', retryable: false });
    });

    it('an error without headers is not taken for an HTTP error', () => {
      expect(mapOpenAIError(new Renamed(400, undefined, {}), context).status).toBeUndefined();
    });

    it('the SDK class names decide, whatever module instance defined them', () => {
      const named = (name: string) => Object.defineProperty(new Error('x'), 'name', { value: name });
      expect(mapOpenAIError(named('APIConnectionTimeoutError'), context).kind).toBe('timeout');
      expect(mapOpenAIError(named('APIConnectionError'), context).kind).toBe('connection');
      expect(mapOpenAIError(named('APIUserAbortError'), context).kind).toBe('aborted');
    });
  });
});
