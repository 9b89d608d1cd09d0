/** Something that expires at `expiresAt` and may be finished before. */
export interface Expiring {
  readonly expiresAt: number;
  done: boolean;
}

/**
 * A binary min-heap on `expiresAt`. Finished items are not removed eagerly (that would need an
 * index); they are skipped when they surface, and `compact` drops them in bulk once they
 * outnumber the live ones, so memory stays proportional to live reservations.
 */
export class ExpiryHeap<T extends Expiring> {
  #items: T[] = [];

  get size(): number {
    return this.#items.length;
  }

  push(item: T): void {
    const items = this.#items;
    items.push(item);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (items[parent]!.expiresAt <= item.expiresAt) break;
      items[i] = items[parent]!;
      i = parent;
    }
    items[i] = item;
  }

  /** Removes and returns the earliest item if it expires at or before `now`. */
  popExpired(now: number): T | undefined {
    const items = this.#items;
    const top = items[0];
    if (top === undefined || top.expiresAt > now) return undefined;
    const last = items.pop()!;
    if (items.length > 0) {
      items[0] = last;
      this.#siftDown(0);
    }
    return top;
  }

  /** Drops finished items and re-heapifies: O(n), run when they dominate. */
  compact(): void {
    this.#items = this.#items.filter((item) => !item.done);
    for (let i = (this.#items.length >> 1) - 1; i >= 0; i--) this.#siftDown(i);
  }

  #siftDown(from: number): void {
    const items = this.#items;
    const n = items.length;
    const item = items[from]!;
    let i = from;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= n) break;
      if (child + 1 < n && items[child + 1]!.expiresAt < items[child]!.expiresAt) child++;
      if (items[child]!.expiresAt >= item.expiresAt) break;
      items[i] = items[child]!;
      i = child;
    }
    items[i] = item;
  }
}
