import pRetry from 'p-retry';
import type { RetryOptions } from '../config/schema.js';
import type { KeelError } from '../errors/keel-error.js';
import type { Attempt, AttemptContext, Policy } from '../pipeline/context.js';
import type { RetryBudget } from './retry-budget.js';
import { toKeelError } from './to-keel-error.js';

export interface RetryPolicyOptions extends RetryOptions {
  /** The retry budget of the provider this attempt goes to. */
  budgetFor(provider: string): RetryBudget;
  /** Source of randomness for jitter; injectable for tests. @default Math.random */
  random?: () => number;
}

/**
 * The attempt loop. p-retry runs the loop, counts attempts and stops on abort; Keel decides
 * every wait itself (p-retry's own delays are zero) because only Keel knows the deadline, the
 * server's retry-after and the retry budget:
 *  - only retryable kinds retry (`x-should-retry` already adjusted `retryable`);
 *  - a server-directed wait (retry-after-ms / retry-after) is honoured up to `maxServerWaitMs`;
 *  - otherwise full-jitter exponential backoff: random(0, min(maxDelay, base × 2^(n−1)));
 *  - a wait that would end past the deadline is never slept: the call fails now, and a
 *    server-directed one fails as `rate_limited` carrying `retryAfterMs`;
 *  - a retry must fit the provider's retry budget.
 * Every attempt is recorded on the call and announced as an event.
 */
export function retryPolicy(options: RetryPolicyOptions): Policy {
  const random = options.random ?? Math.random;
  return {
    name: 'retry',
    wrap<T>(next: Attempt<T>): Attempt<T> {
      return async (context) => {
        const { call } = context;
        const budget = options.budgetFor(context.provider);
        budget.recordCall();
        try {
          return await pRetry((attempt) => runAttempt(next, { ...context, attempt }), {
            retries: options.maxAttempts - 1,
            // Keel sleeps in onFailedAttempt; p-retry adds no delay of its own.
            minTimeout: 0,
            maxTimeout: 0,
            factor: 1,
            randomize: false,
            signal: context.signal,
            unref: true,
            shouldConsumeRetry: () => true,
            shouldRetry: () => true,
            onFailedAttempt: async ({ error, attemptNumber, retriesLeft }) => {
              const failure = error as KeelError;
              const decision = decide(failure, attemptNumber, retriesLeft, context);
              if (decision.type === 'stop') {
                if (decision.reason !== 'not_retryable') {
                  call.events.emit({
                    type: 'retry.denied',
                    reason: decision.reason,
                    ...eventBase(context, attemptNumber),
                  });
                }
                throw decision.error;
              }
              const last = call.attempts[call.attempts.length - 1];
              if (last) call.attempts[call.attempts.length - 1] = { ...last, waitMs: decision.delayMs };
              call.events.emit({
                type: 'retry.scheduled',
                delayMs: decision.delayMs,
                reason: decision.server ? 'server' : 'backoff',
                ...eventBase(context, attemptNumber),
              });
              await call.clock.sleep(decision.delayMs, context.signal);
            },
          });
        } catch (error) {
          // The pipeline attaches the attempt log once, when the call ends (pipeline/keel.ts).
          throw toKeelError(error, context);
        }
      };
    },
  };

  type Decision =
    | { type: 'retry'; delayMs: number; server: boolean }
    | { type: 'stop'; error: KeelError; reason: 'not_retryable' | 'max_attempts' | 'deadline' | 'retry_budget' };

  function decide(error: KeelError, attempt: number, retriesLeft: number, context: AttemptContext): Decision {
    if (!error.retryable) return { type: 'stop', error, reason: 'not_retryable' };
    if (retriesLeft <= 0) return { type: 'stop', error, reason: 'max_attempts' };
    const remaining = context.deadline - context.call.clock.now();
    if (error.retryAfterMs !== undefined) {
      const wait = Math.ceil(error.retryAfterMs);
      if (wait > options.maxServerWaitMs || wait >= remaining) {
        const limit = wait > options.maxServerWaitMs ? 'the retry wait cap' : 'the remaining deadline';
        return {
          type: 'stop',
          reason: 'deadline',
          error: error.with({
            kind: 'rate_limited',
            retryable: false,
            message: `${context.provider} asked to wait ${wait} ms before retrying, longer than ${limit}`,
            retryAfterMs: wait,
          }),
        };
      }
      return budgetAllows(context) ? { type: 'retry', delayMs: wait, server: true } : budgetStop(error);
    }
    const ceiling = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** (attempt - 1));
    const delayMs = Math.floor(random() * ceiling);
    if (delayMs >= remaining) return { type: 'stop', error, reason: 'deadline' };
    return budgetAllows(context) ? { type: 'retry', delayMs, server: false } : budgetStop(error);
  }

  function budgetAllows(context: AttemptContext): boolean {
    return options.budgetFor(context.provider).tryAcquireRetry();
  }

  function budgetStop(error: KeelError): Decision {
    return { type: 'stop', error, reason: 'retry_budget' };
  }
}

async function runAttempt<T>(next: Attempt<T>, context: AttemptContext): Promise<T> {
  const { call } = context;
  const startedAt = call.clock.now();
  if (call.events.active) call.events.emit({ type: 'attempt.started', ...eventBase(context, context.attempt) });
  try {
    const result = await next(context);
    const durationMs = call.clock.now() - startedAt;
    call.attempts.push({ attempt: context.attempt, provider: context.provider, model: context.model, outcome: 'ok', durationMs });
    if (call.events.active) call.events.emit({ type: 'attempt.succeeded', durationMs, ...eventBase(context, context.attempt) });
    return result;
  } catch (thrown) {
    const error = toKeelError(thrown, context);
    const durationMs = call.clock.now() - startedAt;
    call.attempts.push({
      attempt: context.attempt,
      provider: context.provider,
      model: context.model,
      outcome: error.kind,
      status: error.status,
      durationMs,
    });
    call.events.emit({
      type: 'attempt.failed',
      kind: error.kind,
      status: error.status,
      durationMs,
      ...eventBase(context, context.attempt),
    });
    throw error;
  }
}

function eventBase(context: AttemptContext, attempt: number) {
  return {
    callId: context.call.id,
    feature: context.call.feature,
    at: context.call.clock.now(),
    provider: context.provider,
    model: context.model,
    attempt,
  };
}
