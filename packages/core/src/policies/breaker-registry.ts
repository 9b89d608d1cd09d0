import { LRUCache } from 'lru-cache';
import type { BreakerOptions } from '../config/schema.js';
import type { EventHub } from '../events/events.js';
import type { Clock } from '../util/clock.js';
import { BucketRotation } from './breaker-rotation.js';
import { ProviderBreaker, type BreakerShared, type BreakerSnapshot, type BreakerState } from './provider-breaker.js';

const keyOf = (provider: string, model: string) => `${provider}\u0000${model}`;

/**
 * One breaker per provider+model, created on first use, in two bounded LRU tiers of
 * `maxBreakers` each:
 *  - closed breakers: the least recently used is forgotten when a new one is needed. Forgetting
 *    a closed breaker loses only its recent counts; the next attempt starts a fresh one.
 *  - open and half-open breakers move to their own tier, so a flood of new model names (the
 *    drop-ins take `model` from every body) cannot push a tripped breaker out and silently
 *    re-admit traffic to a failing provider. Only when more than `maxBreakers` are tripped at
 *    once is the least recently used tripped one forgotten.
 * All of them share one lazily driven bucket rotation (`BucketRotation`): no timer per breaker.
 */
export class BreakerRegistry {
  readonly #closed: LRUCache<string, ProviderBreaker>;
  readonly #tripped: LRUCache<string, ProviderBreaker>;
  readonly #rotation: BucketRotation;
  readonly #shared: BreakerShared;
  /**
   * The breaker `get` returned last, which is therefore the most recently used one already: a
   * call to the same provider+model (the common case) needs no key, no lookup and no LRU move.
   * Dropped whenever it leaves a tier.
   */
  #last: ProviderBreaker | undefined;

  constructor(options: BreakerOptions, events: EventHub, clock: Clock) {
    const forget = (breaker: ProviderBreaker, _key: string, reason: LRUCache.DisposeReason) => {
      if (breaker === this.#last) this.#last = undefined;
      if (reason === 'evict') breaker.shutdown();
    };
    this.#closed = new LRUCache({ max: options.maxBreakers, disposeAfter: forget });
    this.#tripped = new LRUCache({ max: options.maxBreakers, disposeAfter: forget });
    this.#rotation = new BucketRotation(clock, options.windowMs);
    this.#shared = { options, events, clock, rotation: this.#rotation, onState: (breaker, state) => this.#moved(breaker, state) };
  }

  /** The breaker for this provider+model, created when absent; marks it recently used. */
  get(provider: string, model: string): ProviderBreaker {
    const last = this.#lastFor(provider, model);
    if (last) return last;
    const key = keyOf(provider, model);
    let breaker = this.#tripped.get(key) ?? this.#closed.get(key);
    if (!breaker) {
      breaker = new ProviderBreaker(provider, model, this.#shared);
      this.#closed.set(key, breaker);
    }
    this.#last = breaker;
    return breaker;
  }

  /** Opens this provider+model's breaker now (created if absent); an open or half-open one is left as it is. */
  trip(provider: string, model: string): void {
    this.get(provider, model).trip();
  }

  /** How many breakers are held, both tiers. */
  get size(): number {
    return this.#closed.size + this.#tripped.size;
  }

  snapshot(): BreakerSnapshot[] {
    return [...this.#tripped.values(), ...this.#closed.values()].map((breaker) => breaker.snapshot());
  }

  /** Just the state: cheap (no window statistics are totalled), for per-call events. */
  stateOf(provider: string, model: string): BreakerState {
    return (this.#lastFor(provider, model) ?? this.#peek(provider, model))?.state ?? 'closed';
  }

  state(provider: string, model: string): BreakerSnapshot {
    return this.#peek(provider, model)?.snapshot() ?? { provider, model, state: 'closed', attempts: 0, failures: 0 };
  }

  /** Stops every breaker's reset timer and forgets them all. */
  shutdown(): void {
    this.#last = undefined;
    for (const breaker of [...this.#tripped.values(), ...this.#closed.values()]) breaker.shutdown();
    this.#tripped.clear();
    this.#closed.clear();
  }

  /** The last breaker `get` returned, when it is this provider+model's. */
  #lastFor(provider: string, model: string): ProviderBreaker | undefined {
    const last = this.#last;
    return last !== undefined && last.provider === provider && last.model === model ? last : undefined;
  }

  /** Reading a state does not count as use: `peek` leaves the LRU order alone. */
  #peek(provider: string, model: string): ProviderBreaker | undefined {
    const key = keyOf(provider, model);
    return this.#tripped.peek(key) ?? this.#closed.peek(key);
  }

  #moved(breaker: ProviderBreaker, state: BreakerState): void {
    const key = keyOf(breaker.provider, breaker.model);
    const [from, to] = state === 'closed' ? [this.#tripped, this.#closed] : [this.#closed, this.#tripped];
    // Only a breaker the registry still holds moves; a forgotten one ends with its last attempt.
    if (!from.has(key)) return;
    from.delete(key);
    to.set(key, breaker);
  }
}
