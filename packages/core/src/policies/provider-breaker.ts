import CircuitBreaker from 'opossum';
import type { BreakerOptions } from '../config/schema.js';
import type { EventHub } from '../events/events.js';
import type { Clock } from '../util/clock.js';
import { WINDOW_BUCKETS, type BucketRotation } from './breaker-rotation.js';

export type BreakerState = 'closed' | 'open' | 'half_open';

export interface BreakerSnapshot {
  readonly provider: string;
  readonly model: string;
  readonly state: BreakerState;
  /** Attempts and failures counted in the current rolling window (neutral outcomes excluded). */
  readonly attempts: number;
  readonly failures: number;
}

/** How an attempt was let through: normally, as the one half-open probe, or not at all. */
export type Admission = 'pass' | 'probe' | 'rejected';

type Thunk = () => Promise<unknown>;

const SUCCEED: Thunk = () => Promise.resolve();

export interface BreakerShared {
  readonly options: BreakerOptions;
  readonly events: EventHub;
  readonly clock: Clock;
  readonly rotation: BucketRotation;
  /** Told after every change of state, so the registry can move the breaker between tiers. */
  readonly onState: (breaker: ProviderBreaker, state: BreakerState) => void;
}

/**
 * The breaker of one provider+model. opossum keeps the rolling window, the ratio check and the
 * open → half-open → closed state machine; Keel decides what an attempt's outcome means before
 * opossum sees it. Admission and recording are therefore separate steps: `admit()` before the
 * attempt, `record()` after it, and a neutral outcome is simply never recorded — it neither
 * dilutes the ratio, nor resets the consecutive count, nor closes a half-open breaker.
 */
export class ProviderBreaker {
  readonly #breaker: CircuitBreaker<[Thunk], unknown>;
  readonly #shared: BreakerShared;
  #consecutiveFailures = 0;
  #probing = false;
  #announced: BreakerState = 'closed';

  constructor(
    readonly provider: string,
    readonly model: string,
    shared: BreakerShared,
  ) {
    this.#shared = shared;
    const { options } = shared;
    this.#breaker = new CircuitBreaker<[Thunk], unknown>((thunk: Thunk) => thunk(), {
      // Keel's timeout policy owns attempt time.
      timeout: false,
      errorThresholdPercentage: options.failureRatio * 100,
      rollingCountTimeout: options.windowMs,
      rollingCountBuckets: WINDOW_BUCKETS,
      rotateBucketController: shared.rotation.controller,
      volumeThreshold: options.minimumAttempts,
      resetTimeout: options.halfOpenAfterMs,
      rollingPercentilesEnabled: false,
      enableSnapshots: false,
    });
    this.#breaker.on('open', () => this.#changed('open'));
    this.#breaker.on('halfOpen', () => this.#changed('half_open'));
    this.#breaker.on('close', () => this.#changed('closed'));
  }

  get state(): BreakerState {
    const breaker = this.#breaker;
    return breaker.opened ? 'open' : breaker.halfOpen ? 'half_open' : 'closed';
  }

  /** Closed: pass. Half-open: the first caller becomes the one probe, the rest are rejected. */
  admit(): Admission {
    this.#shared.rotation.catchUp();
    if (this.#breaker.closed) return 'pass';
    if (this.#breaker.halfOpen && !this.#probing) {
      this.#probing = true;
      return 'probe';
    }
    return 'rejected';
  }

  /** The probe ended; when it was neutral the breaker stays half-open and the next one probes. */
  releaseProbe(): void {
    this.#probing = false;
  }

  /** Counts one attempt that said something about the provider. Resolves once opossum decided. */
  async record(outcome: 'success' | 'failure', error?: unknown): Promise<void> {
    const breaker = this.#breaker;
    // A late result of an attempt admitted before the breaker opened changes nothing.
    if (breaker.opened || breaker.isShutdown) return;
    this.#shared.rotation.catchUp();
    if (outcome === 'success') {
      this.#consecutiveFailures = 0;
      await breaker.fire(SUCCEED).catch(() => undefined);
      return;
    }
    await breaker.fire(() => Promise.reject(error instanceof Error ? error : new Error('attempt failed'))).catch(() => undefined);
    this.#consecutiveFailures += 1;
    // Sparse traffic never reaches the ratio's minimum volume; a run of failures opens it too.
    if (breaker.closed && this.#consecutiveFailures >= this.#shared.options.consecutiveFailures) breaker.open();
  }

  /** Opens a closed breaker now, as its own failures would (another replica saw the provider fail). */
  trip(): void {
    if (this.#breaker.closed) this.#breaker.open();
  }

  snapshot(): BreakerSnapshot {
    this.#shared.rotation.catchUp();
    const stats = this.#breaker.stats;
    return { provider: this.provider, model: this.model, state: this.state, attempts: stats.fires, failures: stats.failures };
  }

  /** Stops its reset timer and its rotation listener. */
  shutdown(): void {
    this.#breaker.shutdown();
  }

  #changed(state: BreakerState): void {
    if (state === 'closed') this.#consecutiveFailures = 0;
    // opossum can announce the same transition twice (its reset timer and a late call both move
    // it to half-open); report each change of state once.
    if (state === this.#announced) return;
    this.#announced = state;
    const type = state === 'open' ? 'breaker.opened' : state === 'half_open' ? 'breaker.half_open' : 'breaker.closed';
    this.#shared.events.emit({ type, provider: this.provider, model: this.model, at: this.#shared.clock.now() });
    this.#shared.onState(this, state);
  }
}
