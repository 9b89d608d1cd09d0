import { KeelError } from '../errors/keel-error.js';
import type { Attempt, AttemptContext, Policy } from '../pipeline/context.js';
import type { Clock, Timer } from '../util/clock.js';
import { markDeadline } from './deadline-mark.js';

/**
 * A child signal for one attempt: aborts when the parent does, or after `ms` with `reason()`.
 * The timer and the listener are released by `release()`.
 */
export interface AttemptScope {
  readonly signal: AbortSignal;
  readonly controller: AbortController;
  /** Stops the timer but keeps following the parent signal. */
  clearTimer(): void;
  /** Stops the timer and stops following the parent signal. */
  release(): void;
  /**
   * `work`, rejected with the abort reason as soon as the scope's own timer or its parent fires,
   * without an abort listener of its own. One race at a time.
   */
  race<T>(work: Promise<T>): Promise<T>;
}

/** The signal of a call made without one: it never aborts, so nothing listens to it. */
export const NEVER_ABORTS: AbortSignal = new AbortController().signal;

export function openScope(context: AttemptContext, ms: number, reason: () => KeelError): AttemptScope {
  return new Scope(context.signal, context.call.clock, ms, reason);
}

/**
 * A class, not an object literal of closures: one is built per attempt, and its methods live on
 * the prototype. The timer's callback is the only closure it makes (plus the parent listener
 * when there is a parent signal to follow).
 */
class Scope implements AttemptScope {
  readonly controller = new AbortController();
  readonly signal: AbortSignal = this.controller.signal;
  readonly #parent: AbortSignal;
  readonly #onAbort: (() => void) | undefined;
  #timer: Timer | undefined;
  #racing: ((reason: unknown) => void) | undefined;

  constructor(parent: AbortSignal, clock: Clock, ms: number, reason: () => KeelError) {
    this.#parent = parent;
    if (parent.aborted) this.controller.abort(abortReason(parent.reason));
    else if (parent !== NEVER_ABORTS) {
      this.#onAbort = () => this.#abort(abortReason(parent.reason));
      parent.addEventListener('abort', this.#onAbort, { once: true });
    }
    this.#timer = clock.setTimer(() => this.#abort(reason()), Math.max(0, ms));
  }

  #abort(why: KeelError): void {
    this.controller.abort(why);
    this.#racing?.(this.signal.reason);
  }

  clearTimer(): void {
    this.#timer?.clear();
    this.#timer = undefined;
  }

  release(): void {
    this.clearTimer();
    this.#racing = undefined;
    if (this.#onAbort) this.#parent.removeEventListener('abort', this.#onAbort);
  }

  race<T>(work: Promise<T>): Promise<T> {
    return (
      rejectIfAborted(work, this.signal) ??
      new Promise((resolve, reject) => {
        this.#racing = reject;
        work.then(resolve, reject);
      })
    );
  }
}

/**
 * A caller's abort reason is whatever they passed (often a DOMException); inside Keel it
 * becomes an `aborted` KeelError so every policy classifies it the same way.
 */
export function abortReason(reason: unknown): KeelError {
  return KeelError.is(reason) ? reason : new KeelError('aborted', 'The caller aborted the call');
}

/** The error for a timer that is really the call's total deadline. */
export function deadlineError(context: AttemptContext): KeelError {
  return markDeadline(new KeelError('timeout', `Call deadline exceeded after ${context.deadline - context.call.startedAt} ms`, {
    retryable: false,
    provider: context.provider,
    model: context.model,
  }));
}

/**
 * For a race whose signal has already aborted: a rejection with its reason, with `work`'s own
 * outcome silenced so a later rejection of it is not unhandled. Undefined while the signal has not.
 */
export function rejectIfAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> | undefined {
  if (!signal.aborted) return undefined;
  work.catch(() => undefined);
  return Promise.reject(signal.reason as Error);
}

/**
 * `iterator.next()`, rejected with the signal's reason as soon as it aborts. One abort listener
 * for the whole stream and one pending slot: `Promise.race` against a long-lived abort promise
 * would add a reaction to it on every chunk, held until the stream ends.
 */
export function abortableNext<T>(iterator: AsyncIterator<T>, signal: AbortSignal): () => Promise<IteratorResult<T>> {
  let wake: ((reason: unknown) => void) | undefined;
  signal.addEventListener('abort', () => wake?.(signal.reason), { once: true });
  return () => {
    const work = iterator.next();
    return (
      rejectIfAborted(work, signal) ??
      new Promise<IteratorResult<T>>((resolve, reject) => {
        wake = reject;
        work.then(resolve, reject);
      })
    );
  };
}

/**
 * Per-attempt timeout for non-streamed calls: the attempt gets `attemptMs` or what is left of
 * the deadline, whichever is shorter. The attempt is raced against its signal, so even a
 * provider that ignores cancellation cannot hold a call past its deadline.
 */
export function attemptTimeoutPolicy(attemptMs: number): Policy {
  return {
    name: 'attempt-timeout',
    wrap<T>(next: Attempt<T>): Attempt<T> {
      return async (context) => {
        const remaining = context.deadline - context.call.clock.now();
        const byDeadline = remaining <= attemptMs;
        const scope = openScope(context, Math.min(attemptMs, remaining), () =>
          byDeadline
            ? deadlineError(context)
            : new KeelError('timeout', `Attempt timed out after ${attemptMs} ms`, {
                provider: context.provider,
                model: context.model,
              }),
        );
        try {
          return await scope.race(next({ ...context, signal: scope.signal }));
        } finally {
          scope.release();
        }
      };
    },
  };
}

/**
 * The least time an attempt needs left of the deadline to start: `timeouts.minAttemptMs`,
 * capped at half the call's own deadline so a call given a very short `deadlineMs` still gets
 * its first attempt (and a retry only while half its budget is left).
 */
export function attemptFloorMs(minAttemptMs: number, startedAt: number, deadline: number): number {
  return Math.max(1, Math.min(minAttemptMs, Math.floor((deadline - startedAt) / 2)));
}

/** Whether an attempt may start now: at least `floorMs` is left of the deadline. */
export function timeToStart(context: Pick<AttemptContext, 'deadline' | 'call'>, floorMs: number): boolean {
  return context.deadline - context.call.clock.now() >= floorMs;
}

/** Errors that mean "no attempt was started for lack of time"; a fallback reports the previous error instead. */
const notStarted = new WeakSet<KeelError>();

/** The error of a call whose next attempt would start with less than `floorMs` left. */
export function tooLateToStartError(context: AttemptContext, floorMs: number): KeelError {
  const error = new KeelError('timeout', `Less than ${floorMs} ms left of the call deadline; no attempt started`, {
    retryable: false,
    provider: context.provider,
    model: context.model,
  });
  notStarted.add(error);
  return error;
}

/** True for the error `tooLateToStartError` made: nothing was sent for it. */
export function isTooLateToStart(error: KeelError): boolean {
  return notStarted.has(error);
}
