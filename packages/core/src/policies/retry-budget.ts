import type { RetryBudgetOptions } from '../config/schema.js';
import type { Clock } from '../util/clock.js';

const BUCKETS = 10;

/**
 * Keeps retries a bounded share of traffic per provider, so a provider outage cannot multiply
 * load (Finagle's RetryBudget idea): in a rolling window, retries may be at most
 * `minRetries + ratio × calls`. Counting is in ten time buckets: O(1) per call, no timers.
 */
export class RetryBudget {
  readonly #calls = new Array<number>(BUCKETS).fill(0);
  readonly #retries = new Array<number>(BUCKETS).fill(0);
  #bucketStart = 0;
  #index = 0;
  readonly #bucketMs: number;

  constructor(
    private readonly options: RetryBudgetOptions,
    private readonly clock: Clock,
  ) {
    this.#bucketMs = Math.max(1, Math.floor(options.windowMs / BUCKETS));
    this.#bucketStart = clock.now();
  }

  /** Counts one new call (not an attempt). */
  recordCall(): void {
    this.#rotate();
    this.#calls[this.#index]! += 1;
  }

  /** Takes one retry from the budget if there is room; false means do not retry. */
  tryAcquireRetry(): boolean {
    this.#rotate();
    const calls = sum(this.#calls);
    const retries = sum(this.#retries);
    if (retries + 1 > this.options.minRetries + this.options.ratio * calls) return false;
    this.#retries[this.#index]! += 1;
    return true;
  }

  #rotate(): void {
    const now = this.clock.now();
    let steps = Math.floor((now - this.#bucketStart) / this.#bucketMs);
    if (steps <= 0) return;
    this.#bucketStart += steps * this.#bucketMs;
    steps = Math.min(steps, BUCKETS);
    for (let i = 0; i < steps; i++) {
      this.#index = (this.#index + 1) % BUCKETS;
      this.#calls[this.#index] = 0;
      this.#retries[this.#index] = 0;
    }
  }
}

function sum(values: readonly number[]): number {
  let total = 0;
  for (const value of values) total += value;
  return total;
}
