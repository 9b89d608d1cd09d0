import type { Clock } from '../util/clock.js';
import { systemClock } from '../util/clock.js';
import { ExpiryHeap } from './expiry-heap.js';
import { maxOutputFit } from './fit.js';
import {
  addHold,
  commit,
  createLedger,
  dropHold,
  growHold,
  isIdle,
  nextReset,
  refresh,
  resetAt,
  sameWindow,
  used,
  type Ledger,
} from './ledger.js';
import type {
  BudgetQuery,
  BudgetRefusal,
  BudgetStore,
  ChargeResult,
  LineRemaining,
  LineUsage,
  ReserveLine,
  ReserveRequest,
  ReserveResult,
} from './store.js';
import { validateAmounts, validateOutputTokens, validateReserve } from './validate.js';

export interface InMemoryBudgetStoreOptions {
  /** Time source when a call passes no `now`. @default the system clock */
  readonly clock?: Pick<Clock, 'now'> | undefined;
}

/** Counters for tests and telemetry. */
export interface BudgetStoreStats {
  /** Reservations currently holding budget. */
  readonly live: number;
  /** Counters (key × window) in memory. */
  readonly keys: number;
  readonly granted: number;
  readonly refused: number;
  readonly settled: number;
  readonly released: number;
  /** Holds whose caller vanished: released by expiry (keeping only output recorded by `charge`). */
  readonly expired: number;
  /** settle/release for an id that was not live: a double settle, or one after expiry. */
  readonly notLive: number;
  /** Settles that committed more than their hold on some line (provider reported more). */
  readonly overCommitted: number;
}

export interface InMemoryBudgetStore extends BudgetStore {
  chargeNow(id: string, outputTokens: number, now?: number): ChargeResult;
  stats(): BudgetStoreStats;
}

interface HeldLine {
  readonly line: ReserveLine;
  readonly ledger: Ledger;
  hold: number;
}

interface Reservation {
  readonly id: string;
  readonly lines: readonly HeldLine[];
  readonly expiresAt: number;
  granted: number;
  consumed: number;
  done: boolean;
}

/** Ledgers examined for eviction per operation: amortised cleanup, no timers, no pauses. */
const SWEEP_PER_OP = 4;

/**
 * The embedded BudgetStore. All work happens synchronously inside each method, so every
 * operation is atomic within one event-loop turn, however many calls are in flight. Memory is
 * bounded: ended calendar windows and emptied sliding windows are evicted a few per operation,
 * sliding windows keep at most ~128 entries, and expired holds are reclaimed lazily — on the
 * next operation, using its `now` — so the store needs no timers.
 */
export function createInMemoryBudgetStore(options: InMemoryBudgetStoreOptions = {}): InMemoryBudgetStore {
  const clock = options.clock ?? systemClock;
  const ledgers = new Map<string, Ledger>();
  const reservations = new Map<string, Reservation>();
  const expiries = new ExpiryHeap<Reservation>();
  let sweep: MapIterator<[string, Ledger]> | undefined;
  const counts = { granted: 0, refused: 0, settled: 0, released: 0, expired: 0, notLive: 0, overCommitted: 0 };

  /** Lazy housekeeping, run first by every operation with that operation's `now`. */
  function advance(now: number): void {
    for (let r = expiries.popExpired(now); r; r = expiries.popExpired(now)) {
      if (!r.done) {
        counts.expired++;
        finish(r, recordedAmount, r.expiresAt);
      }
    }
    if (expiries.size > 2 * reservations.size + 64) expiries.compact();
    for (let i = 0; i < SWEEP_PER_OP; i++) {
      sweep ??= ledgers.entries();
      const next = sweep.next();
      if (next.done) {
        sweep = undefined;
        break;
      }
      if (isIdle(next.value[1], now)) ledgers.delete(next.value[0]);
    }
  }

  function ledgerFor(line: ReserveLine, now: number): Ledger {
    let ledger = ledgers.get(line.key);
    if (!ledger) {
      ledger = createLedger(line.window, now);
      ledgers.set(line.key, ledger);
    } else {
      if (!sameWindow(ledger, line.window)) throw new RangeError(`budget key "${line.key}" is already used with another window`);
      refresh(ledger, now);
    }
    return ledger;
  }

  function refusal(index: number, line: ReserveLine, ledger: Ledger, needed: number): BudgetRefusal {
    const usedNow = used(ledger);
    const remaining = Math.max(0, line.limit - usedNow);
    const at = needed > line.limit ? undefined : resetAt(ledger, needed - (line.limit - usedNow));
    return { ok: false, line: index, key: line.key, scope: line.scope, unit: line.unit, limit: line.limit, remaining, needed, resetAt: at };
  }

  /** What release and expiry commit: the input plus the output recorded by `charge`, if any. */
  function recordedAmount(r: Reservation, held: HeldLine): number {
    return r.consumed > 0 ? held.line.base + held.line.perOutputToken * r.consumed : 0;
  }

  function finish(r: Reservation, amountOf: (r: Reservation, held: HeldLine, index: number) => number, at: number): void {
    r.done = true;
    reservations.delete(r.id);
    let over = false;
    for (let i = 0; i < r.lines.length; i++) {
      const held = r.lines[i]!;
      const amount = amountOf(r, held, i);
      if (amount > held.hold) over = true;
      // Settle into the window current now: one that began after the reserve included.
      refresh(held.ledger, at);
      dropHold(held.ledger, held.hold);
      commit(held.ledger, amount, at);
    }
    if (over) counts.overCommitted++;
  }

  function reserve(request: ReserveRequest): ReserveResult {
    validateReserve(request);
    const now = request.now ?? clock.now();
    advance(now);
    if (reservations.has(request.id)) throw new RangeError(`reserve: reservation "${request.id}" is already live`);
    const { lines, minOutputTokens: min, maxOutputTokens: max } = request;

    // Compare: the largest output every line can take; remember the most binding line.
    const ledgersOfLines: Ledger[] = new Array<Ledger>(lines.length);
    let granted = max;
    let worst = -1;
    let worstFit = Infinity;
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      const ledger = (ledgersOfLines[i] = ledgerFor(line, now));
      const fit = maxOutputFit(line.limit - used(ledger), line.base, line.perOutputToken, max);
      if (fit < granted) granted = fit;
      if (fit < min && fit < worstFit) {
        worst = i;
        worstFit = fit;
      }
    }
    if (worst >= 0) {
      counts.refused++;
      const line = lines[worst]!;
      return refusal(worst, line, ledgersOfLines[worst]!, line.base + line.perOutputToken * min);
    }

    // Charge: every line, in the same synchronous step.
    const held: HeldLine[] = new Array<HeldLine>(lines.length);
    const remaining: LineRemaining[] = new Array<LineRemaining>(lines.length);
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      const ledger = ledgersOfLines[i]!;
      const hold = line.base + line.perOutputToken * granted;
      addHold(ledger, hold);
      held[i] = { line, ledger, hold };
      remaining[i] = { key: line.key, unit: line.unit, limit: line.limit, remaining: Math.max(0, line.limit - used(ledger)) };
    }
    const reservation: Reservation = { id: request.id, lines: held, expiresAt: now + request.ttlMs, granted, consumed: 0, done: false };
    reservations.set(request.id, reservation);
    expiries.push(reservation);
    counts.granted++;
    return { ok: true, id: request.id, outputTokens: granted, expiresAt: reservation.expiresAt, remaining };
  }

  function charge(id: string, outputTokens: number, now: number): ChargeResult {
    validateOutputTokens(outputTokens);
    advance(now);
    const r = reservations.get(id);
    if (!r) return { ok: false, reason: 'not_found' };
    const consumed = r.consumed + outputTokens;
    if (consumed <= r.granted) {
      r.consumed = consumed;
      return { ok: true, outputTokens: consumed, grantedOutputTokens: r.granted };
    }
    // Outgrew the grant: extend every line or none.
    const extra = consumed - r.granted;
    for (let i = 0; i < r.lines.length; i++) {
      const held = r.lines[i]!;
      const { line, ledger } = held;
      refresh(ledger, now);
      const needed = line.perOutputToken * extra;
      if (needed > 0 && used(ledger) + needed > line.limit) {
        // Capped at the grant: release and expiry never commit more than was held.
        r.consumed = r.granted;
        return { ok: false, reason: 'exhausted', outputTokens: r.consumed, grantedOutputTokens: r.granted, refusal: refusal(i, line, ledger, needed) };
      }
    }
    for (const held of r.lines) {
      const grow = held.line.perOutputToken * extra;
      growHold(held.ledger, grow);
      held.hold += grow;
    }
    r.granted = r.consumed = consumed;
    return { ok: true, outputTokens: consumed, grantedOutputTokens: consumed };
  }

  function settle(id: string, amounts: readonly number[], now: number): boolean {
    advance(now);
    const r = reservations.get(id);
    if (!r) {
      counts.notLive++;
      return false;
    }
    validateAmounts(amounts, r.lines.length);
    counts.settled++;
    finish(r, (_r, _held, i) => amounts[i]!, now);
    return true;
  }

  function release(id: string, now: number): boolean {
    advance(now);
    const r = reservations.get(id);
    if (!r) {
      counts.notLive++;
      return false;
    }
    counts.released++;
    finish(r, recordedAmount, now);
    return true;
  }

  function usage(queries: readonly BudgetQuery[], now: number): LineUsage[] {
    advance(now);
    return queries.map((query) => {
      const ledger = ledgers.get(query.key) ?? createLedger(query.window, now);
      refresh(ledger, now);
      const { committed, held } = ledger;
      return {
        key: query.key,
        unit: query.unit,
        limit: query.limit,
        committed,
        held,
        remaining: Math.max(0, query.limit - committed - held),
        resetAt: nextReset(ledger),
      };
    });
  }

  // `async` so a caller's mistake rejects rather than throws; the bodies never await, so each
  // operation still runs to completion in one turn.
  return {
    reserve: async (request) => reserve(request),
    charge: async (id, outputTokens, now) => charge(id, outputTokens, now ?? clock.now()),
    chargeNow: (id, outputTokens, now) => charge(id, outputTokens, now ?? clock.now()),
    settle: async (id, amounts, now) => settle(id, amounts, now ?? clock.now()),
    release: async (id, now) => release(id, now ?? clock.now()),
    usage: async (queries, now) => usage(queries, now ?? clock.now()),
    stats: () => ({ live: reservations.size, keys: ledgers.size, ...counts }),
  };
}
