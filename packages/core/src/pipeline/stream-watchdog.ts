import { KeelError } from '../errors/keel-error.js';
import type { Clock, Timer } from '../util/clock.js';
import type { OpenedStream } from './stream-attempt.js';

/** A stream leg's timer for its idle timeout and the call's deadline (see startWatchdog). */
export interface Watchdog {
  readonly firstTokenAt: number;
  /** Keel is about to wait on the provider's next part: provider silence counts from now. */
  awaitingProvider(): void;
  /** The provider answered; until the next wait, time is the consumer's (or Keel's) and not idle. */
  partArrived(): void;
  stop(): void;
}

/**
 * One timer for both the idle timeout and the deadline.
 *  - Idle is provider silence: it counts only while Keel waits on the provider's `next()`. Time
 *    the consumer spends holding a part (and Keel's own budget metering) never counts.
 *  - The deadline is the caller's total budget: it counts everything, the consumer included.
 * Waits only stamp a time; the timer re-arms itself when it fires early (every `idleMs` at
 * most while nobody waits on the provider), so a fast stream costs no timer work per part.
 * The timer is never due later than `waitingSince + idleMs`, since it is always armed at most
 * `idleMs` ahead and a wait starts no earlier than the moment it was armed.
 */
export function startWatchdog(clock: Clock, deadline: number, idleMs: number, controller: AbortController, opened: OpenedStream): Watchdog {
  const firstTokenAt = clock.now();
  let waitingSince: number | undefined;
  let timer: Timer | undefined;
  const arm = () => {
    const now = clock.now();
    if (now >= deadline) {
      controller.abort(new KeelError('timeout', 'Call deadline exceeded while streaming', { retryable: false, provider: opened.provider, model: opened.model }));
      return;
    }
    if (waitingSince !== undefined && now - waitingSince >= idleMs) {
      controller.abort(new KeelError('timeout', `Stream idle: the provider sent nothing for ${idleMs} ms`, { provider: opened.provider, model: opened.model }));
      return;
    }
    timer = clock.setTimer(arm, Math.min((waitingSince ?? now) + idleMs, deadline) - now);
  };
  arm();
  return {
    firstTokenAt,
    awaitingProvider() {
      waitingSince = clock.now();
    },
    partArrived() {
      waitingSince = undefined;
    },
    stop() {
      timer?.clear();
    },
  };
}
