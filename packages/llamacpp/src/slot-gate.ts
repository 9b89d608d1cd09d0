import { KeelError } from '@keel/core';

/** Releases a held slot; calling it again does nothing. */
export type ReleaseSlot = () => void;

export interface SlotGateOptions {
  readonly provider: string;
  /**
   * How many calls may wait for a slot; one more is shed at once with `overloaded`, so a burst
   * does not pile up behind a server that decodes `slots` requests at a time.
   * @default Infinity (each waiter is bounded by its own deadline)
   */
  readonly maxQueue?: number | undefined;
}

/**
 * Client-side admission for llama-server's slots: at most `capacity` requests in flight (the
 * server's `total_slots`), the rest wait in FIFO order until a slot frees or their signal aborts
 * (the call's deadline), or are shed when the queue is full. Without it an overload lands on the
 * server, which defers the extra requests in its own queue where no deadline reaches them.
 */
export class SlotGate {
  readonly #provider: string;
  readonly #maxQueue: number;
  #capacity: number | undefined;
  #inFlight = 0;
  readonly #waiting: Array<{ grant: () => void }> = [];
  #maxInFlightSeen = 0;
  #shed = 0;

  constructor(options: SlotGateOptions) {
    this.#provider = options.provider;
    this.#maxQueue = options.maxQueue ?? Number.POSITIVE_INFINITY;
  }

  /** Sets the number of slots (from `/props`); waiters that now fit are admitted. */
  setCapacity(slots: number): void {
    this.#capacity = Math.max(1, Math.floor(slots));
    this.#drain();
  }

  get capacity(): number | undefined {
    return this.#capacity;
  }

  /** Observed counts: in flight now, waiting now, the most ever in flight, how many were shed. */
  stats(): { readonly inFlight: number; readonly waiting: number; readonly maxInFlight: number; readonly shed: number } {
    return { inFlight: this.#inFlight, waiting: this.#waiting.length, maxInFlight: this.#maxInFlightSeen, shed: this.#shed };
  }

  /** Resolves with a release function once a slot is free; rejects when `signal` aborts first or the queue is full. */
  acquire(signal: AbortSignal): Promise<ReleaseSlot> {
    if (signal.aborted) return Promise.reject(this.#abortError(signal));
    if (this.#capacity === undefined || this.#inFlight < this.#capacity) return Promise.resolve(this.#take());
    if (this.#waiting.length >= this.#maxQueue) {
      this.#shed += 1;
      return Promise.reject(
        new KeelError('overloaded', `llama-server: all ${this.#capacity} slots busy and ${this.#waiting.length} calls already waiting`, { provider: this.#provider }),
      );
    }
    return new Promise<ReleaseSlot>((resolve, reject) => {
      const waiter = {
        grant: () => {
          signal.removeEventListener('abort', onAbort);
          resolve(this.#take());
        },
      };
      const onAbort = () => {
        const index = this.#waiting.indexOf(waiter);
        if (index >= 0) this.#waiting.splice(index, 1);
        reject(this.#abortError(signal));
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.#waiting.push(waiter);
    });
  }

  #take(): ReleaseSlot {
    this.#inFlight += 1;
    this.#maxInFlightSeen = Math.max(this.#maxInFlightSeen, this.#inFlight);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#inFlight -= 1;
      this.#drain();
    };
  }

  #drain(): void {
    while (this.#waiting.length > 0 && (this.#capacity === undefined || this.#inFlight < this.#capacity)) {
      this.#waiting.shift()!.grant();
    }
  }

  #abortError(signal: AbortSignal): KeelError {
    // Keel aborts with its own timeout error when the deadline passes: that error is the answer.
    return KeelError.is(signal.reason) ? signal.reason : new KeelError('aborted', 'llama-server call aborted while waiting for a slot', { provider: this.#provider });
  }
}
