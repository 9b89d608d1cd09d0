import type { Clock, Timer } from '@keel/core';

export interface FakeClockOptions {
  /** Virtual epoch milliseconds at creation. @default 0 */
  start?: number;
}

/**
 * A virtual clock for tests. Time moves only when a test calls `advance` or code under test
 * calls `sleep`, so retry back-offs and deadlines run in no real time and in a fixed order.
 */
export interface FakeClock extends Clock {
  /** Every `sleep(ms)` requested, in order (aborted ones included). */
  readonly sleeps: readonly number[];
  /** Moves virtual time forward by `ms`, firing due timers in time order (ties in creation order). */
  advance(ms: number): void;
  /** Virtual milliseconds since the clock was created. */
  elapsed(): number;
  /** Timers registered and neither fired nor cleared. */
  pendingTimers(): number;
}

interface PendingTimer {
  readonly at: number;
  readonly seq: number;
  readonly fn: () => void;
}

export function createFakeClock(options: FakeClockOptions = {}): FakeClock {
  const start = options.start ?? 0;
  let now = start;
  let seq = 0;
  const timers = new Set<PendingTimer>();
  const sleeps: number[] = [];

  function nextDue(limit: number): PendingTimer | undefined {
    let due: PendingTimer | undefined;
    for (const timer of timers) {
      if (timer.at > limit) continue;
      if (!due || timer.at < due.at || (timer.at === due.at && timer.seq < due.seq)) due = timer;
    }
    return due;
  }

  function advance(ms: number): void {
    const target = now + Math.max(0, ms);
    // A timer may register or clear others while firing; pick the next due one each time.
    for (let due = nextDue(target); due; due = nextDue(target)) {
      timers.delete(due);
      now = Math.max(now, due.at);
      due.fn();
    }
    now = target;
  }

  return {
    sleeps,
    now: () => now,
    elapsed: () => now - start,
    pendingTimers: () => timers.size,
    advance,
    setTimer(fn, ms): Timer {
      const timer: PendingTimer = { at: now + Math.max(0, ms), seq: seq++, fn };
      timers.add(timer);
      return { clear: () => void timers.delete(timer) };
    },
    sleep(ms, signal) {
      sleeps.push(ms);
      if (signal?.aborted) return Promise.reject(signal.reason);
      advance(ms);
      // Settle on a microtask, after anything the fired timers did (an abort included).
      return Promise.resolve().then(() => {
        if (signal?.aborted) throw signal.reason;
      });
    },
  };
}
