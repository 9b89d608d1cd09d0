import { KeelError } from '../errors/keel-error.js';
import type { Attempt, AttemptContext, Policy } from '../pipeline/context.js';
import type { Timer } from '../util/clock.js';
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
   * `raceAbort(work, signal)` for the scope's own timer and parent: rejects with the abort reason
   * as soon as either fires, without an abort listener of its own. One race at a time.
   */
  race<T>(work: Promise<T>): Promise<T>;
}

/** The signal of a call made without one: it never aborts, so nothing listens to it. */
export const NEVER_ABORTS: AbortSignal = new AbortController().signal;

export function openScope(context: AttemptContext, ms: number, reason: () => KeelError): AttemptScope {
  const controller = new AbortController();
  const parent = context.signal;
  let racing: ((reason: unknown) => void) | undefined;
  const abort = (why: KeelError) => {
    controller.abort(why);
    racing?.(controller.signal.reason);
  };
  const onAbort = () => abort(abortReason(parent.reason));
  if (parent.aborted) controller.abort(abortReason(parent.reason));
  else if (parent !== NEVER_ABORTS) parent.addEventListener('abort', onAbort, { once: true });
  let timer: Timer | undefined = context.call.clock.setTimer(() => abort(reason()), Math.max(0, ms));
  return {
    signal: controller.signal,
    controller,
    clearTimer() {
      timer?.clear();
      timer = undefined;
    },
    release() {
      this.clearTimer();
      racing = undefined;
      if (parent !== NEVER_ABORTS) parent.removeEventListener('abort', onAbort);
    },
    race(work) {
      const { signal } = controller;
      if (signal.aborted) {
        work.catch(() => undefined);
        return Promise.reject(signal.reason as Error);
      }
      return new Promise((resolve, reject) => {
        racing = reject;
        work.then(resolve, reject);
      });
    },
  };
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

/** Resolves or rejects with `work`, or rejects with the signal's reason as soon as it aborts. */
export function raceAbort<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    work.catch(() => undefined);
    return Promise.reject(signal.reason as Error);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
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
