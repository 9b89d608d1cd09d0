import pRetry, { AbortError } from 'p-retry';
import type { FailoverAction } from '../config/failover-schema.js';
import type { RetryOptions } from '../config/schema.js';
import { isRetryableKind, type KeelErrorKind } from '../errors/kinds.js';
import type { KeelError } from '../errors/keel-error.js';
import type { Attempt, AttemptContext, Policy } from '../pipeline/context.js';
import type { RetryBudget } from './retry-budget.js';
import { attemptFloorMs, timeToStart, tooLateToStartError } from './timeout.js';
import { toKeelError } from './to-keel-error.js';

export interface RetryPolicyOptions extends RetryOptions {
  /** The retry budget of the provider this attempt goes to. */
  budgetFor(provider: string): RetryBudget;
  /** `timeouts.minAttemptMs`: no attempt starts with less than this left (see `attemptFloorMs`). */
  minAttemptMs: number;
  /**
   * The feature's action per error kind (`failover.actions`): only `retry` retries the same
   * model; `failover` retries only on the last candidate; `fail` never. @default retry for all
   */
  actions?: Readonly<Record<KeelErrorKind, FailoverAction>> | undefined;
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
 *  - no attempt starts with less than `minAttemptMs` left of the deadline, so a wait that
 *    would not leave that much is never slept: the call fails now with the last attempt's
 *    error, and a server-directed wait fails as `rate_limited` carrying `retryAfterMs`;
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
        const floorMs = attemptFloorMs(options.minAttemptMs, call.startedAt, context.deadline);
        // Time may have gone to admission (rate limits, a budget store): nothing is sent too late.
        if (!timeToStart(context, floorMs)) throw tooLateToStartError(context, floorMs);
        const budget = options.budgetFor(context.provider);
        budget.recordCall();
        // What the call ends with should the next retry, after its wait, still find too little
        // time left (a real sleep can overrun): the last failure, as the deadline stop says it.
        let outOfTime: KeelError | undefined;
        // The first attempt runs on its own: most calls succeed at once, and then p-retry's loop
        // (its options, closures and promise chain) is never built. A failure hands p-retry the
        // same error as its attempt 1, so every decision after it is p-retry's loop as before.
        // An already-aborted call goes straight to p-retry, which rejects it before any attempt.
        let first: { readonly error: unknown } | undefined;
        if (!context.signal.aborted) {
          try {
            return await runAttempt(next, { ...context, attempt: 1 });
          } catch (error) {
            first = { error };
          }
        }
        const attemptFn = (attempt: number) => {
          if (attempt === 1 && first) return Promise.reject(first.error);
          if (attempt > 1 && outOfTime && !timeToStart(context, floorMs)) {
            call.events.emit({ type: 'retry.denied', reason: 'deadline', ...eventBase(context, attempt - 1) });
            return Promise.reject(new AbortError(outOfTime));
          }
          return runAttempt(next, { ...context, attempt });
        };
        try {
          return await pRetry(attemptFn, {
            retries: options.maxAttempts - 1,
            // Keel sleeps in onFailedAttempt; p-retry adds no delay of its own.
            minTimeout: 0,
            maxTimeout: 0,
            factor: 1,
            randomize: false,
            signal: context.signal,
            unref: true,
            shouldConsumeRetry: always,
            shouldRetry: always,
            onFailedAttempt: async ({ error, attemptNumber, retriesLeft }) => {
              const failure = error as KeelError;
              const decision = decide(failure, attemptNumber, retriesLeft, context, floorMs);
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
              outOfTime = deadlineStop(failure, context, floorMs, false);
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

  function decide(error: KeelError, attempt: number, retriesLeft: number, context: AttemptContext, floorMs: number): Decision {
    if (!error.retryable) return { type: 'stop', error, reason: 'not_retryable' };
    // A silent route (a timeout) is not retried while another candidate can answer at once.
    // `fail` stops retries too, unless the server itself asked for one (`x-should-retry: true`
    // on a kind that is not retryable by default).
    const action = options.actions?.[error.kind] ?? 'retry';
    const serverAsked = error.retryable !== isRetryableKind(error.kind);
    if ((action === 'fail' && !serverAsked) || (action === 'failover' && (context.call.candidatesLeft ?? 0) > 0)) {
      return { type: 'stop', error, reason: 'not_retryable' };
    }
    if (retriesLeft <= 0) return { type: 'stop', error, reason: 'max_attempts' };
    // The retry must still have `floorMs` left once its wait is over.
    const waitable = context.deadline - context.call.clock.now() - floorMs;
    if (error.retryAfterMs !== undefined) {
      const wait = Math.ceil(error.retryAfterMs);
      if (wait > options.maxServerWaitMs || wait > waitable) {
        return { type: 'stop', reason: 'deadline', error: deadlineStop(error, context, floorMs, wait > options.maxServerWaitMs) };
      }
      return budgetAllows(context) ? { type: 'retry', delayMs: wait, server: true } : budgetStop(error);
    }
    const ceiling = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** (attempt - 1));
    const delayMs = Math.floor(random() * ceiling);
    if (delayMs > waitable) return { type: 'stop', error, reason: 'deadline' };
    return budgetAllows(context) ? { type: 'retry', delayMs, server: false } : budgetStop(error);
  }

  /**
   * The error a call ends with when its retry cannot happen in time: the failure itself, or for
   * a server-directed wait, `rate_limited` carrying the wait the server asked for.
   */
  function deadlineStop(error: KeelError, context: AttemptContext, floorMs: number, overCap: boolean): KeelError {
    if (error.retryAfterMs === undefined) return error;
    const wait = Math.ceil(error.retryAfterMs);
    const limit = overCap ? 'the retry wait cap' : `the remaining deadline allows (a retry needs ${floorMs} ms left)`;
    return error.with({
      kind: 'rate_limited',
      retryable: false,
      message: `${context.provider} asked to wait ${wait} ms before retrying, longer than ${limit}`,
      retryAfterMs: wait,
    });
  }

  function budgetAllows(context: AttemptContext): boolean {
    return options.budgetFor(context.provider).tryAcquireRetry();
  }

  function budgetStop(error: KeelError): Decision {
    return { type: 'stop', error, reason: 'retry_budget' };
  }
}

/** p-retry's own retry predicates: Keel decides in onFailedAttempt. One function, not two per call. */
const always = () => true;

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
