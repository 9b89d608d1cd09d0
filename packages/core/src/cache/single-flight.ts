/**
 * Concurrent identical misses share one upstream call. The leader's work resolves to what the
 * followers may reuse (a cache entry) or undefined: a failed or uncacheable leader hands its
 * followers nothing, never its error, so each goes on to make its own call.
 */
export class SingleFlight<T> {
  readonly #flights = new Map<string, Promise<T | undefined>>();

  /** The flight in progress for `key`, if any. */
  pending(key: string): Promise<T | undefined> | undefined {
    return this.#flights.get(key);
  }

  /**
   * Registers the caller as the leader for `key`. `settle` must be called exactly once with
   * what followers may reuse (or undefined).
   */
  lead(key: string): (value: T | undefined) => void {
    let resolve!: (value: T | undefined) => void;
    this.#flights.set(key, new Promise<T | undefined>((done) => (resolve = done)));
    let settled = false;
    return (value) => {
      if (settled) return;
      settled = true;
      this.#flights.delete(key);
      resolve(value);
    };
  }

  get size(): number {
    return this.#flights.size;
  }
}
