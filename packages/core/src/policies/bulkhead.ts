import { KeelError } from '../errors/keel-error.js';
import type { Attempt, Policy } from '../pipeline/context.js';
import type { Clock, Timer } from '../util/clock.js';
import { abortReason } from './timeout.js';

export interface BulkheadOptions {
  /** Attempts in flight to this provider at once (a stream counts until it ends). */
  readonly maxConcurrent: number;
  /** Attempts that may wait for a slot; more are refused at once. */
  readonly maxQueue: number;
}

interface Waiter {
  grant(): void;
  refuse(error: KeelError): void;
}

/**
 * One provider's concurrency limit with a bounded FIFO queue. A waiter leaves the queue when a
 * slot frees up, when its call would no longer have `minAttemptMs` left (its deadline), or when
 * its caller aborts — never later. Refusals are `overloaded`, not retryable: the call moves to
 * the next candidate (another provider) at once, and nothing was sent.
 */
export class Bulkhead {
  #active = 0;
  readonly #queue: Waiter[] = [];

  constructor(
    readonly provider: string,
    private readonly options: BulkheadOptions,
    private readonly clock: Clock,
  ) {}

  get active(): number {
    return this.#active;
  }

  get queued(): number {
    return this.#queue.length;
  }

  /** Takes a slot (waiting for one until `waitUntil`); resolves the function that gives it back, once. */
  acquire(waitUntil: number, signal: AbortSignal): Promise<() => void> {
    if (this.#active < this.options.maxConcurrent && this.#queue.length === 0) {
      this.#active++;
      return Promise.resolve(this.#releaser());
    }
    if (this.#queue.length >= this.options.maxQueue) return Promise.reject(this.#refusal('its queue is full'));
    if (signal.aborted) return Promise.reject(abortReason(signal.reason));
    if (waitUntil <= this.clock.now()) return Promise.reject(this.#refusal('no time left to wait for a slot'));
    return new Promise((resolve, reject) => {
      const pending: { timer?: Timer } = {};
      const leave = () => {
        pending.timer?.clear();
        signal.removeEventListener('abort', onAbort);
        const at = this.#queue.indexOf(waiter);
        if (at >= 0) this.#queue.splice(at, 1);
      };
      const waiter: Waiter = {
        grant: () => {
          leave();
          resolve(this.#releaser());
        },
        refuse: (error) => {
          leave();
          reject(error);
        },
      };
      const onAbort = () => waiter.refuse(abortReason(signal.reason));
      signal.addEventListener('abort', onAbort, { once: true });
      pending.timer = this.clock.setTimer(() => waiter.refuse(this.#refusal('no slot freed up before the deadline')), Math.max(0, waitUntil - this.clock.now()));
      this.#queue.push(waiter);
    });
  }

  #releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#active--;
      const next = this.#queue[0];
      if (next && this.#active < this.options.maxConcurrent) {
        this.#active++;
        next.grant();
      }
    };
  }

  #refusal(why: string): KeelError {
    return new KeelError('overloaded', `Bulkhead for ${this.provider} refused the attempt (${this.options.maxConcurrent} in flight; ${why}); nothing was sent`, {
      retryable: false,
      provider: this.provider,
    });
  }
}

/**
 * The bulkhead policy: each attempt to a provider with a bulkhead holds one of its slots, a chat
 * attempt until it settles, a stream (a result with a `scope`, see stream-attempt.ts) until the
 * stream is closed (`scope.release()`, which every way a stream ends calls). It sits outside the
 * breaker: a refusal is local backpressure, not the provider's failure.
 */
export function bulkheadPolicy(bulkheads: ReadonlyMap<string, Bulkhead>, minAttemptMs: number): Policy {
  return {
    name: 'bulkhead',
    wrap<T>(next: Attempt<T>): Attempt<T> {
      if (bulkheads.size === 0) return next;
      return async (context) => {
        const bulkhead = bulkheads.get(context.provider);
        if (!bulkhead) return next(context);
        const release = await bulkhead.acquire(context.deadline - minAttemptMs, context.signal);
        let result: T;
        try {
          result = await next(context);
        } catch (error) {
          release();
          throw error;
        }
        const scope = (result as { scope?: { release(): void } } | null)?.scope;
        if (!scope) {
          release();
          return result;
        }
        const own = scope.release.bind(scope);
        scope.release = () => {
          own();
          release();
        };
        return result;
      };
    },
  };
}
