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

describe('the top level of createKeel is checked before anything reads it', () => {
  const features = { a: { models: [{ provider: 'p', model: 'm' }] } };
  const { chat: _chat, ...withoutChat } = provider;
  const cases: [string, unknown, string[]][] = [
    ['no options at all', undefined, ['createKeel expects an options object']],
    ['providers not an array', { providers: provider, features }, ['providers: expected an array of providers']],
    ['providers missing', { features }, ['providers: expected an array of providers']],
    ['a null provider', { providers: [null], features }, ['providers.0: expected a provider object']],
    ['a provider without chat()', { providers: [withoutChat], features }, ['providers.0.chat: expected a function']],
    ['a provider without an id', { providers: [{ ...provider, id: undefined }], features }, [expect.stringMatching(/^providers\.0\.id: /)]],
    ['features: null', { providers: [provider], features: null }, ['features: expected an object of features by name']],
    ['features as an array', { providers: [provider], features: [features.a] }, ['features: expected an object of features by name']],
    ['a null feature', { providers: [provider], features: { a: null } }, [expect.stringMatching(/^features\.a: /)]],
  ];
  it.each(cases)('%s is a bad_request with issues, thrown synchronously', (_name, options, issues) => {
    const error = configError(() => createKeel(options as never));
    expect(error.kind).toBe('bad_request');
    expect(error.issues).toEqual(issues);
  });

  it('accepts a provider that is a class instance (methods on the prototype)', () => {
    class ClassProvider {
      readonly id = 'p';
      chat = provider.chat;
      stream() {
        return provider.stream({ model: 'm', messages: [] }, undefined as never);
      }
    }
    expect(() => createKeel({ providers: [new ClassProvider()], features }).close()).not.toThrow();
  });
});
