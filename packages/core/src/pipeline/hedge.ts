import type { HedgeOptions } from '../config/failover-schema.js';
import { KeelError } from '../errors/keel-error.js';
import { RetryBudget } from '../policies/retry-budget.js';
import type { Clock } from '../util/clock.js';
import type { BudgetHold } from './admission.js';
import type { OpenedStream } from './stream-attempt.js';

/** The abort reason of the request that lost a hedge; never thrown to a caller. */
export const HEDGE_LOST = new KeelError('aborted', 'Hedged request lost the race');

/** Most time-to-first-token samples a feature keeps (the latest win). */
const MAX_SAMPLES = 256;

/**
 * A feature's hedging state: the delay before a backup (fixed, or a percentile of the feature's
 * observed times to first token) and the hedge budget (at most `maxRatio` of calls in a rolling
 * 10 s window, counted like the retry budget), so hedging cannot multiply load in an outage.
 */
export class Hedger {
  readonly #samples: number[] = [];
  #next = 0;
  readonly #budget: RetryBudget;

  constructor(
    private readonly options: HedgeOptions,
    clock: Clock,
  ) {
    this.#budget = new RetryBudget({ ratio: options.maxRatio, minRetries: 0, windowMs: 10_000 }, clock);
  }

  /** Records one stream's time to first token. */
  observe(ttftMs: number): void {
    if (this.#samples.length < MAX_SAMPLES) this.#samples.push(ttftMs);
    else this.#samples[this.#next] = ttftMs;
    this.#next = (this.#next + 1) % MAX_SAMPLES;
  }

  /** Counts a call; the delay after which it may hedge, or undefined (not now: over budget). */
  admit(): number | undefined {
    this.#budget.recordCall();
    return this.delayMs();
  }

  /** Takes one hedge from the budget; false: over `maxRatio`, the backup is not sent. */
  tryHedge(): boolean {
    return this.#budget.tryAcquireRetry();
  }

  delayMs(): number {
    const { percentile, minSamples, delayMs } = this.options;
    if (percentile === undefined || this.#samples.length < minSamples) return delayMs;
    const sorted = [...this.#samples].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.ceil((percentile / 100) * sorted.length) - 1)]!;
  }
}

/** What one hedged pair needs from `withFallback`. */
export interface HedgeRace<T> {
  readonly clock: Clock;
  readonly delayMs: number;
  readonly callerSignal: AbortSignal | undefined;
  /** Whether the backup may go now (the hedge budget). */
  mayHedge(): boolean;
  /** Starts one side under its own signal. */
  start(side: 'primary' | 'backup', signal: AbortSignal): Promise<T>;
  /** A side that succeeded after the other had won: release it (close the stream, settle its hold). */
  dispose(value: T): void;
}

export type HedgeOutcome<T> =
  | { readonly ok: true; readonly value: T; readonly winner: 'primary' | 'backup'; readonly backupSent: boolean }
  | { readonly ok: false; readonly error: unknown; readonly backupSent: boolean };

/**
 * Runs the primary; after `delayMs` without a result (and with room in the hedge budget), the
 * backup too. The first to succeed wins and the other is aborted (`HEDGE_LOST`): a loser that
 * was still waiting for its first token sends nothing more; one that had just opened is disposed.
 * A side that fails leaves the race to the other; when both fail, the later failure is the outcome.
 */
export function raceHedged<T>(race: HedgeRace<T>): Promise<HedgeOutcome<T>> {
  const controllers = { primary: new AbortController(), backup: new AbortController() };
  const signalOf = (side: 'primary' | 'backup') =>
    race.callerSignal ? AbortSignal.any([race.callerSignal, controllers[side].signal]) : controllers[side].signal;
  return new Promise((resolve) => {
    let done = false;
    let backupSent = false;
    let pending = 1;
    const settle = (side: 'primary' | 'backup', promise: Promise<T>) => {
      promise.then(
        (value) => {
          if (done) return race.dispose(value);
          done = true;
          timer.clear();
          const loser = side === 'primary' ? 'backup' : 'primary';
          controllers[loser].abort(HEDGE_LOST);
          resolve({ ok: true, value, winner: side, backupSent });
        },
        (error: unknown) => {
          if (done) return;
          pending--;
          // The primary failed before the backup was due: no race, the usual fallback follows.
          if (side === 'primary' && !backupSent) timer.clear();
          if (pending > 0) return;
          done = true;
          resolve({ ok: false, error, backupSent });
        },
      );
    };
    const timer = race.clock.setTimer(() => {
      if (done || !race.mayHedge()) return;
      backupSent = true;
      pending++;
      settle('backup', race.start('backup', signalOf('backup')));
    }, race.delayMs);
    settle('primary', race.start('primary', signalOf('primary')));
  });
}

/** An opened leg as keel.ts holds it: what a hedge loser that opened anyway must release. */
interface OpenedLeg {
  readonly opened: OpenedStream;
  readonly hold: BudgetHold | undefined;
}

/**
 * The stream path's hedge for one call, or undefined when the feature does not hedge. A loser
 * that opened (its first token came just after the winner's) is cancelled and its hold settled
 * as an accepted request with the text it had: charged what it used.
 */
export function hedgeFor<T extends OpenedLeg>(hedger: Hedger | undefined, callerSignal: AbortSignal | undefined) {
  const delayMs = hedger?.admit();
  if (!hedger || delayMs === undefined) return undefined;
  return {
    delayMs,
    callerSignal,
    mayHedge: () => hedger.tryHedge(),
    dispose(leg: T) {
      leg.opened.scope.controller.abort(HEDGE_LOST);
      leg.opened.scope.release();
      leg.opened.iterator.return?.().catch(() => undefined);
      const text = leg.opened.head.map((part) => (part.type === 'text' ? part.text : '')).join('');
      void leg.hold?.finish({ usage: undefined, answered: false, text, accepted: true, broke: true }).catch(() => undefined);
    },
  };
}
