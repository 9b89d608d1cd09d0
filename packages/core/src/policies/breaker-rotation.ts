import { EventEmitter } from 'node:events';
import type { Clock } from '../util/clock.js';

/** opossum's rolling window has this many buckets; each lasts `windowMs / BUCKETS`. */
export const WINDOW_BUCKETS = 10;

/**
 * One clock for every breaker's rolling window. Left alone, opossum gives each breaker its own
 * `setInterval` to rotate its buckets (100k breakers: 100k timers firing every second). Instead
 * every breaker listens to this one `rotateBucketController`, and the rotation is lazy: before a
 * breaker is used or read, `catchUp()` emits one `rotate` per bucket interval elapsed on Keel's
 * clock since the last one. No timer at all, so nothing to leak or unref, and on a fake clock the
 * window moves exactly with virtual time.
 */
export class BucketRotation {
  /** Handed to opossum as `rotateBucketController`. */
  readonly controller = new EventEmitter();
  readonly #clock: Clock;
  readonly #intervalMs: number;
  #rotatedAt: number;

  constructor(clock: Clock, windowMs: number) {
    this.#clock = clock;
    this.#intervalMs = Math.max(1, Math.floor(windowMs / WINDOW_BUCKETS));
    this.#rotatedAt = clock.now();
    // One listener per breaker; the registry bounds how many.
    this.controller.setMaxListeners(0);
  }

  /** Rotates every breaker's window up to now. Cheap when no bucket boundary has passed. */
  catchUp(): void {
    const now = this.#clock.now();
    const due = Math.floor((now - this.#rotatedAt) / this.#intervalMs);
    if (due <= 0) return;
    this.#rotatedAt += due * this.#intervalMs;
    // After WINDOW_BUCKETS rotations every bucket is empty; more would change nothing.
    for (let i = 0; i < Math.min(due, WINDOW_BUCKETS); i++) this.controller.emit('rotate');
  }
}
