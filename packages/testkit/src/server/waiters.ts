interface Waiter {
  readonly predicate: () => boolean;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/** Promises that settle once a condition on the server's state holds, re-checked on each change. */
export class Waiters {
  readonly #pending = new Set<Waiter>();
  #closed = false;

  wait(predicate: () => boolean): Promise<void> {
    try {
      if (predicate()) return Promise.resolve();
    } catch (error) {
      return Promise.reject(error);
    }
    if (this.#closed) return Promise.reject(new Error('The test server is closed.'));
    return new Promise((resolve, reject) => this.#pending.add({ predicate, resolve, reject }));
  }

  /** Call after every state change. A throwing predicate rejects its own promise only. */
  notify(): void {
    for (const waiter of this.#pending) {
      let held: boolean;
      try {
        held = waiter.predicate();
      } catch (error) {
        this.#pending.delete(waiter);
        waiter.reject(error);
        continue;
      }
      if (!held) continue;
      this.#pending.delete(waiter);
      waiter.resolve();
    }
  }

  close(): void {
    this.#closed = true;
    for (const waiter of this.#pending) waiter.reject(new Error('The test server closed before the awaited condition held.'));
    this.#pending.clear();
  }
}
