import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ERROR_KINDS, KeelError, redact } from '../src/index.js';

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
