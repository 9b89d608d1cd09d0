/**
 * Every delay the server schedules, so `close()` can cancel them all and no timer outlives the
 * server. A cancelled delay resolves `false` rather than rejecting: the caller just stops.
 */
export class TimerSet {
  readonly #pending = new Map<NodeJS.Timeout, () => void>();

  delay(ms: number, signal: AbortSignal): Promise<boolean> {
    if (signal.aborted) return Promise.resolve(false);
    return new Promise<boolean>((resolve) => {
      const finish = (elapsed: boolean) => {
        clearTimeout(handle);
        this.#pending.delete(handle);
        signal.removeEventListener('abort', onAbort);
        resolve(elapsed);
      };
      const onAbort = () => finish(false);
      const handle = setTimeout(() => finish(true), Math.max(0, ms));
      this.#pending.set(handle, onAbort);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  clearAll(): void {
    for (const cancel of [...this.#pending.values()]) cancel();
  }

  get size(): number {
    return this.#pending.size;
  }
}
