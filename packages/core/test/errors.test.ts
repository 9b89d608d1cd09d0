import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { clientOptionSecrets, ERROR_KINDS, KeelError, redact, redactEchoes, requestContentOf, type AttemptRecord } from '../src/index.js';

describe('KeelError', () => {
  it('derives retryable from its kind unless told otherwise', () => {
    expect(new KeelError('server', 'x').retryable).toBe(true);
    expect(new KeelError('auth', 'x').retryable).toBe(false);
    expect(new KeelError('server', 'x', { retryable: false }).retryable).toBe(false);
    for (const kind of Object.keys(ERROR_KINDS) as (keyof typeof ERROR_KINDS)[]) {
      expect(new KeelError(kind, 'x').retryable).toBe(ERROR_KINDS[kind].retryable);
    }
  });

  it('is recognised across copies of the package by its brand', () => {
    const foreign = Object.defineProperty(new Error('other copy'), Symbol.for('keel.error'), { value: true });
    expect(KeelError.is(foreign)).toBe(true);
    expect(KeelError.is(new Error('plain'))).toBe(false);
    expect(KeelError.is(null)).toBe(false);
  });

  it('scrubs keys from its message and cause, and prints only safe fields', () => {
    const key = 'sk-proj-CANARYKEY1234567890';
    const cause = Object.assign(new Error(`Incorrect API key provided: ${key}`), { status: 401, headers: { authorization: `Bearer ${key}` } });
    const error = new KeelError('auth', `401 for key ${key}`, { cause, secrets: [key], partialText: 'partial answer' });
    for (const text of [error.message, JSON.stringify(error), inspect(error), String(error.stack), JSON.stringify(error.cause)]) {
      expect(text).not.toContain(key);
      expect(text).not.toContain('CANARYKEY');
    }
    expect(JSON.stringify(error)).not.toContain('partial answer');
    expect(error.toJSON()).toMatchObject({ kind: 'auth', status: undefined, partialTextLength: 14 });
    expect(error.cause).toEqual({ name: 'Error', message: 'Incorrect API key provided: [redacted]', status: 401, code: undefined, type: undefined });
  });

  it('redacts key shapes it was not told about', () => {
    expect(redact('key sk-ant-api03-abcdefghijkl and Bearer abc.def and api_key=xyz123')).toBe(
      'key [redacted] and [redacted] and api_key=[redacted]',
    );
  });

  it('with() keeps the sanitised cause and replaces fields', () => {
    const error = new KeelError('server', 'boom', { cause: new Error('inner'), status: 500 });
    const copy = error.with({ partialText: 'abc', retryable: false });
    expect(copy.cause).toEqual(error.cause);
    expect(copy.status).toBe(500);
    expect(copy.retryable).toBe(false);
    expect(copy.kind).toBe('server');
    expect(error.with({ kind: 'timeout' }).retryable).toBe(true);
  });
});

/** Every rendering of an error a service might log or send on. */
function renderings(error: KeelError): string[] {
  return [error.message, String(error), String(error.stack), JSON.stringify(error), JSON.stringify(error.cause ?? null), inspect(error, { depth: 20, showHidden: true })];
}

describe('a key used as a model or provider value', () => {
  // Not key-shaped: only the exact value can catch it.
  const key = 'c2VjcmV0LWtleS1hcy1tb2RlbC0wMDAx';
  const attempt = (model: string): AttemptRecord => ({ attempt: 1, provider: key, model, outcome: 'not_found', status: 404, durationMs: 3 });

  it('is redacted in model, provider and attempts, not only in the message', () => {
    const error = new KeelError('not_found', `The model ${key} does not exist`, { model: key, provider: key, attempts: [attempt(key)], secrets: [key] });
    for (const text of renderings(error)) expect(text).not.toContain(key);
    expect(error.model).toBe('[redacted]');
    expect(error.attempts[0]).toMatchObject({ model: '[redacted]', provider: '[redacted]', status: 404 });
  });

  it('stays redacted in the attempts and model the pipeline attaches later with with()', () => {
    const error = new KeelError('not_found', 'no such model', { model: key, secrets: [key] });
    const withAttempts = error.with({ attempts: [attempt(key), attempt('gpt-4o-mini')], model: key });
    for (const text of renderings(withAttempts)) expect(text).not.toContain(key);
    expect(withAttempts.attempts.map((record) => record.model)).toEqual(['[redacted]', 'gpt-4o-mini']);
    // A KeelError that wraps it (a stream cut after its first token) inherits its secrets.
    const wrapping = new KeelError('truncated', 'stream failed', { cause: withAttempts }).with({ attempts: [attempt(key)] });
    for (const text of renderings(wrapping)) expect(text).not.toContain(key);
  });

  it('the secrets are never printed or serialised', () => {
    const error = new KeelError('auth', 'nope', { secrets: [key] });
    expect(Object.keys(error).join()).not.toContain('secret');
    for (const text of renderings(error)) expect(text).not.toContain(key);
  });
});

describe('request content echoed by the provider', () => {
  const prompt = `Draft the Nightingale memo, ref 7f2c9e41.\n\n${'Confidential numbers follow. '.repeat(30)}`;
  const content = { texts: ['Be terse.', prompt] };

  it('is scrubbed from the message, stack, cause and issues', () => {
    // A provider that quotes the first part of the offending value, whitespace flattened and cut.
    const echo = `Invalid value for 'content': '${prompt.replace(/\s+/g, ' ').slice(0, 150)}…'`;
    const cause = Object.assign(new Error(`400 ${echo}`), { status: 400 });
    const error = new KeelError('bad_request', `OpenAI 400: ${echo}`, { cause, requestContent: content, issues: [echo] });
    for (const text of [...renderings(error), ...(error.issues ?? [])]) {
      expect(text).not.toContain('Nightingale');
      expect(text).not.toContain('Confidential numbers');
    }
    expect(error.message).toMatch(/^OpenAI 400: Invalid value for 'content': '\[prompt redacted\] ?…'$/);
  });

  it('catches a whole short message text, and leaves shorter common fragments alone', () => {
    expect(redactEchoes("Unknown content 'Be terse.' in messages", content)).toBe("Unknown content '[prompt redacted]' in messages");
    // "Confidential" (12) is an echo; "numbers" alone (7) is not treated as prompt text.
    expect(redactEchoes('numbers must be positive', content)).toBe('numbers must be positive');
    expect(redactEchoes('see Confidential policy', content)).toBe('see [prompt redacted] policy');
  });

  it('finds an echo from the middle of a multi-megabyte prompt', () => {
    const big = `${'lorem ipsum dolor sit amet '.repeat(200_000)}NEEDLE-9d3e1f77-in-the-middle ${'consectetur adipiscing '.repeat(100_000)}`;
    expect(redactEchoes('bad token near NEEDLE-9d3e1f77-in-the-middle here', { texts: [big] })).toBe('bad token near [prompt redacted] here');
  });

  it('requestContentOf takes message texts and the long strings in extra, but not extra.model', () => {
    const collected = requestContentOf({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'Hi there' }],
      extra: { model: 'a-very-long-model-name-2025', tools: [{ function: { arguments: '{"account":"ACME-00912-secret"}' } }], tool_choice: 'auto' },
    });
    expect(collected.texts).toEqual(['Hi there']);
    expect(collected.fragments).toEqual(['{"account":"ACME-00912-secret"}']);
  });
});

describe('clientOptionSecrets', () => {
  it('reads every header and query value, in every shape the SDKs store headers', () => {
    const expected = ['5d1f8c2e-9a47-4b3e-8f61-c02d7e9b4a15', 'Bearer eyJhbGciOiJIUzI1NiJ9.e30.c2ln', 'eyJhbGciOiJIUzI1NiJ9.e30.c2ln', 'azure-0f3a9c7e'];
    const shapes: unknown[] = [
      { 'x-portkey-api-key': expected[0], Authorization: expected[1], 'x-nulled': null },
      new Headers({ 'x-portkey-api-key': expected[0] as string, authorization: expected[1] as string }),
      [['x-portkey-api-key', expected[0]], ['authorization', expected[1]]],
      { values: new Headers({ 'x-portkey-api-key': expected[0] as string, authorization: expected[1] as string }), nulls: new Set() },
    ];
    for (const defaultHeaders of shapes) {
      expect(clientOptionSecrets({ defaultHeaders, defaultQuery: { 'api-key': expected[3] } })).toEqual(expect.arrayContaining(expected));
    }
    expect(clientOptionSecrets(undefined)).toEqual([]);
  });
});
