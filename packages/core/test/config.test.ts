import { describe, expect, it } from 'vitest';
import { createKeel, KeelError, type Provider } from '../src/index.js';

const provider: Provider = {
  id: 'p',
  chat: () => Promise.reject(new Error('never called')),
  stream: () => ({ [Symbol.asyncIterator]: () => ({ next: () => Promise.reject(new Error('never called')) }) }),
};

function configError(fn: () => unknown): KeelError {
  try {
    fn();
  } catch (error) {
    if (KeelError.is(error)) return error;
    throw error;
  }
  throw new Error('expected a KeelError');
}

describe('configuration is validated at createKeel time', () => {
  it('lists every problem at once', () => {
    const error = configError(() =>
      createKeel({
        providers: [provider],
        features: {
          a: { models: [] },
          b: { models: [{ provider: 'nope', model: 'm' }], retry: { maxAttempts: -1 } },
          c: { models: [{ provider: 'p', model: 'm' }], timeouts: { totalMs: 0 } },
        },
      }),
    );
    expect(error.kind).toBe('bad_request');
    expect(error.issues).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^features\.a\.models: /),
        expect.stringMatching(/^features\.b\.retry\.maxAttempts: /),
        expect.stringMatching(/^features\.c\.timeouts\.totalMs: /),
      ]),
    );
    // b's unknown provider is reported once its schema problems are fixed.
    const unknown = configError(() => createKeel({ providers: [provider], features: { b: { models: [{ provider: 'nope', model: 'm' }] } } }));
    expect(unknown.issues).toEqual(['features.b.models.0.provider: unknown provider "nope" (known: p)']);
  });

  it('rejects unknown keys, duplicate providers and an empty feature map', () => {
    expect(configError(() => createKeel({ providers: [provider], features: { a: { models: [{ provider: 'p', model: 'm' }], retires: 3 } as never } })).issues?.[0]).toMatch(/retires/);
    expect(configError(() => createKeel({ providers: [provider, provider], features: { a: { models: [{ provider: 'p', model: 'm' }] } } })).message).toMatch(/duplicate|share the id/);
    expect(configError(() => createKeel({ providers: [provider], features: {} })).issues).toEqual(['features: at least one feature is required']);
  });
});
