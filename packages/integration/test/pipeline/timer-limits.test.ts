/**
 * Node clamps a timer over 2^31−1 ms to 1 ms, so such a "timeout" would fire at once. Every
 * duration that becomes a timer or a wait is rejected above that, at createKeel and per request.
 */
import { createScriptedProvider } from '@keel/testkit';
import { describe, expect, it } from 'vitest';
import { createKeel, KeelError, type DefaultsConfig, type FeatureConfig } from '@keel/core';
import { failure, keelWith, user } from './helpers.js';

const MAX = 2 ** 31 - 1;
const TOO_LONG = 2 ** 31;

function configError(feature: Partial<FeatureConfig>, defaults?: DefaultsConfig): KeelError {
  try {
    createKeel({ providers: [createScriptedProvider()], features: { f: { models: [{ provider: 'scripted', model: 'm' }], ...feature } }, defaults });
  } catch (error) {
    if (KeelError.is(error)) return error;
    throw error;
  }
  throw new Error('expected createKeel to reject the configuration');
}

describe('durations longer than a timer can wait', () => {
  it('are rejected at createKeel, every field that becomes a timer, each named in the issues', () => {
    const error = configError(
      {
        timeouts: { totalMs: TOO_LONG, attemptMs: TOO_LONG, firstTokenMs: TOO_LONG, idleMs: TOO_LONG, minAttemptMs: TOO_LONG },
        retry: { baseDelayMs: TOO_LONG, maxDelayMs: TOO_LONG, maxServerWaitMs: TOO_LONG },
      },
      {
        timeouts: { idleMs: 1e12 },
        retry: { maxDelayMs: TOO_LONG },
        breaker: { windowMs: TOO_LONG, halfOpenAfterMs: TOO_LONG },
        retryBudget: { windowMs: TOO_LONG },
      },
    );
    expect(error.kind).toBe('bad_request');
    const paths = (error.issues ?? []).map((issue) => issue.split(':')[0]);
    expect(paths.sort()).toEqual(
      [
        'defaults.breaker.halfOpenAfterMs',
        'defaults.breaker.windowMs',
        'defaults.retry.maxDelayMs',
        'defaults.retryBudget.windowMs',
        'defaults.timeouts.idleMs',
        'features.f.retry.baseDelayMs',
        'features.f.retry.maxDelayMs',
        'features.f.retry.maxServerWaitMs',
        'features.f.timeouts.attemptMs',
        'features.f.timeouts.firstTokenMs',
        'features.f.timeouts.idleMs',
        'features.f.timeouts.minAttemptMs',
        'features.f.timeouts.totalMs',
      ].sort(),
    );
    expect(error.issues?.[0]).toMatch(/2147483647/);
  });

  it('2^31−1 ms itself is accepted', () => {
    const { keel } = keelWith(createScriptedProvider(), {
      timeouts: { totalMs: MAX, attemptMs: MAX, firstTokenMs: MAX, idleMs: MAX },
      retry: { maxDelayMs: MAX, maxServerWaitMs: MAX },
    });
    keel.close();
  });

  it('a per-request deadlineMs over 2^31−1 is a bad_request with issues, and nothing is sent', async () => {
    const provider = createScriptedProvider();
    const { keel } = keelWith(provider);
    const chat = await failure(() => keel.chat({ feature: 'f', messages: user(), deadlineMs: TOO_LONG }));
    expect(chat).toMatchObject({ kind: 'bad_request', issues: [expect.stringMatching(/^deadlineMs: .*2147483647/)] });
    expect(() => keel.stream({ feature: 'f', messages: user(), deadlineMs: TOO_LONG })).toThrow(expect.objectContaining({ kind: 'bad_request' }));
    expect(provider.calls).toHaveLength(0);
    await expect(keel.chat({ feature: 'f', messages: user(), deadlineMs: MAX })).resolves.toMatchObject({ text: expect.any(String) });
    keel.close();
  });
});
