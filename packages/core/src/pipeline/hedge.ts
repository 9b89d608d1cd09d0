import type { HedgeOptions } from '../config/failover-schema.js';
import { KeelError } from '../errors/keel-error.js';
import { RetryBudget } from '../policies/retry-budget.js';
import type { Clock } from '../util/clock.js';
import type { BudgetHold } from './admission.js';
import type { FallbackHedge } from './candidates.js';
import type { OpenedStream } from './stream-attempt.js';

/** The abort reason of the request that lost a hedge; never thrown to a caller. */
export const HEDGE_LOST = new KeelError('aborted', 'Hedged request lost the race');

/** Most latency samples a feature keeps per kind (the latest win). */
const MAX_SAMPLES = 256;

/**
 * What a hedge races to: a stream's first token, or a chat's complete response. Their latencies
 * differ by a whole answer, so each has its own samples (one feature may do both).
 */
export type HedgeKind = 'stream' | 'chat';

/** One kind's latest latencies, a ring of at most MAX_SAMPLES. */
class Samples {
  readonly values: number[] = [];
  #next = 0;

  add(ms: number): void {
    if (this.values.length < MAX_SAMPLES) this.values.push(ms);
    else this.values[this.#next] = ms;
    this.#next = (this.#next + 1) % MAX_SAMPLES;
  }
}

/**
 * A feature's hedging state: the delay before a backup (fixed, or a percentile of the feature's
 * observed latencies: time to first token for streams, time to the response for chats) and the
 * hedge budget (at most `maxRatio` of calls in a rolling 10 s window, streams and chats together,
 * counted like the retry budget), so hedging cannot multiply load in an outage.
 */
export class Hedger {
  readonly #samples: Record<HedgeKind, Samples> = { stream: new Samples(), chat: new Samples() };
  readonly #budget: RetryBudget;

  constructor(
    private readonly options: HedgeOptions,
    clock: Clock,
  ) {
    this.#budget = new RetryBudget({ ratio: options.maxRatio, minRetries: 0, windowMs: 10_000 }, clock);
  }

  /** Records one call's latency: a stream's time to first token, a chat's time to its response. */
  observe(ms: number, kind: HedgeKind = 'stream'): void {
    this.#samples[kind].add(ms);
  }

  /** Counts a call; the delay after which it may hedge, or undefined (not now: over budget). */
  admit(kind: HedgeKind = 'stream'): number | undefined {
    this.#budget.recordCall();
    return this.delayMs(kind);
  }

  /** Takes one hedge from the budget; false: over `maxRatio`, the backup is not sent. */
  tryHedge(): boolean {
    return this.#budget.tryAcquireRetry();
  }

  delayMs(kind: HedgeKind = 'stream'): number {
    const { percentile, minSamples, delayMs } = this.options;
    const samples = this.#samples[kind].values;
    if (percentile === undefined || samples.length < minSamples) return delayMs;
    const sorted = [...samples].sort((a, b) => a - b);
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
  dispose(value: T, side: 'primary' | 'backup'): void;
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
          if (done) return race.dispose(value, side);
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
 * One call's hedge, or undefined when the hedge budget has no room. `dispose` releases a loser
 * that succeeded anyway and resolves what it cost (USD), which is charged to its candidate
 * record. Called only for a feature that hedges, so a call without a hedger builds no `dispose`.
 */
export function hedgeFor<T>(hedger: Hedger, kind: HedgeKind, callerSignal: AbortSignal | undefined, dispose: (value: T) => number | undefined): FallbackHedge<T> | undefined {
  const delayMs = hedger.admit(kind);
  if (delayMs === undefined) return undefined;
  return { delayMs, callerSignal, mayHedge: () => hedger.tryHedge(), dispose };
}

/**
 * Releases a stream leg that lost its hedge after it opened (its first token came just after the
 * winner's): the request is cancelled and its hold settled as a broken leg with the text it had,
 * so it is charged exactly what it used. Returns that text, for its cost.
 */
export function disposeLeg(leg: OpenedLeg): string {
  leg.opened.scope.controller.abort(HEDGE_LOST);
  leg.opened.scope.release();
  leg.opened.iterator.return?.().catch(() => undefined);
  const text = leg.opened.head.map((part) => (part.type === 'text' ? part.text : '')).join('');
  void leg.hold?.finish({ usage: undefined, answered: false, text, accepted: true, broke: true }).catch(() => undefined);
  return text;
}
