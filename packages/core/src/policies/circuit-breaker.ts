import CircuitBreaker from 'opossum';
import type { BreakerOptions } from '../config/schema.js';
import { KeelError } from '../errors/keel-error.js';
import { CALLER_CAUSED_KINDS } from '../errors/kinds.js';
import type { EventHub } from '../events/events.js';
import type { Attempt, Policy } from '../pipeline/context.js';
import type { Clock } from '../util/clock.js';

export type BreakerState = 'closed' | 'open' | 'half_open';

export interface BreakerSnapshot {
  readonly provider: string;
  readonly model: string;
  readonly state: BreakerState;
  /** Attempts and failures counted in the current rolling window. */
  readonly attempts: number;
  readonly failures: number;
}

type Thunk = () => Promise<unknown>;

/**
 * One opossum breaker per provider+model, created on first use. opossum's own timeout is off:
 * Keel's timeout policy owns time. Errors the caller caused (see CALLER_CAUSED_KINDS) pass
 * through without counting. When open, opossum admits one probe after `halfOpenAfterMs`;
 * while that probe is in flight every other attempt fails fast, so probes are bounded to one.
 */
export class BreakerRegistry {
  readonly #breakers = new Map<string, { provider: string; model: string; breaker: CircuitBreaker<[Thunk], unknown> }>();

  constructor(
    private readonly options: BreakerOptions,
    private readonly events: EventHub,
    private readonly clock: Clock,
  ) {}

  get(provider: string, model: string): CircuitBreaker<[Thunk], unknown> {
    const key = `${provider}\u0000${model}`;
    let entry = this.#breakers.get(key);
    if (!entry) {
      const breaker = new CircuitBreaker<[Thunk], unknown>((thunk: Thunk) => thunk(), {
        timeout: false,
        errorThresholdPercentage: this.options.failureRatio * 100,
        rollingCountTimeout: this.options.windowMs,
        rollingCountBuckets: 10,
        volumeThreshold: this.options.minimumAttempts,
        resetTimeout: this.options.halfOpenAfterMs,
        errorFilter: (error: unknown) => KeelError.is(error) && CALLER_CAUSED_KINDS.has(error.kind),
        rollingPercentilesEnabled: false,
        enableSnapshots: false,
      });
      // opossum can announce the same transition twice (its reset timer and a late call both
      // move it to half-open); report each change of state once.
      let last: string | undefined;
      const emit = (type: 'breaker.opened' | 'breaker.half_open' | 'breaker.closed') => () => {
        if (last === type) return;
        last = type;
        this.events.emit({ type, provider, model, at: this.clock.now() });
      };
      breaker.on('open', emit('breaker.opened'));
      breaker.on('halfOpen', emit('breaker.half_open'));
      breaker.on('close', emit('breaker.closed'));
      entry = { provider, model, breaker };
      this.#breakers.set(key, entry);
    }
    return entry.breaker;
  }

  snapshot(): BreakerSnapshot[] {
    return [...this.#breakers.values()].map(({ provider, model, breaker }) => describe(provider, model, breaker));
  }

  /** Just the state: cheap (no window statistics are totalled), for per-call events. */
  stateOf(provider: string, model: string): BreakerState {
    const breaker = this.#breakers.get(`${provider}\u0000${model}`)?.breaker;
    return !breaker ? 'closed' : breaker.opened ? 'open' : breaker.halfOpen ? 'half_open' : 'closed';
  }

  state(provider: string, model: string): BreakerSnapshot {
    const entry = this.#breakers.get(`${provider}\u0000${model}`);
    return entry
      ? describe(provider, model, entry.breaker)
      : { provider, model, state: 'closed', attempts: 0, failures: 0 };
  }

  /** Stops every breaker's window timer. */
  shutdown(): void {
    for (const { breaker } of this.#breakers.values()) breaker.shutdown();
    this.#breakers.clear();
  }
}

function describe(provider: string, model: string, breaker: CircuitBreaker<[Thunk], unknown>): BreakerSnapshot {
  const stats = breaker.stats;
  const state: BreakerState = breaker.opened ? 'open' : breaker.halfOpen ? 'half_open' : 'closed';
  return { provider, model, state, attempts: stats.fires, failures: stats.failures };
}

/** The breaker policy: every attempt passes through its provider+model's breaker. */
export function circuitBreakerPolicy(registry: BreakerRegistry): Policy {
  return {
    name: 'circuit-breaker',
    wrap<T>(next: Attempt<T>): Attempt<T> {
      return async (context) => {
        const breaker = registry.get(context.provider, context.model);
        try {
          return (await breaker.fire(() => next(context))) as T;
        } catch (error) {
          if ((error as { code?: unknown }).code === 'EOPENBREAKER') {
            throw new KeelError('circuit_open', `Circuit open for ${context.provider}/${context.model}; nothing was sent`, {
              provider: context.provider,
              model: context.model,
            });
          }
          throw error;
        }
      };
    },
  };
}
