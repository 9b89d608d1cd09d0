import { windowEnd, windowStart, type CalendarWindow, type WindowSpec } from './windows.js';

/**
 * A sliding window keeps at most about this many entries: commits closer together than
 * `size / SLIDING_SLOTS` share one entry stamped with the latest of them. Memory per key is
 * bounded whatever the traffic, and merging only ever makes spend age out later (the safe way).
 */
const SLIDING_SLOTS = 128;
/** An ended calendar window is kept this long, so a caller with a lagging clock still sees it. */
const CALENDAR_GRACE_MS = 60_000;

interface LedgerCounters {
  /** Spend settled in the current window. */
  committed: number;
  /** Held by live reservations. */
  held: number;
  /** Number of live holds; `held` snaps to exactly 0 when it reaches 0 (no float residue). */
  holds: number;
}

export interface CalendarLedger extends LedgerCounters {
  readonly kind: 'calendar';
  readonly window: CalendarWindow;
  start: number;
  end: number;
}

/**
 * Sliding window. Holds never age out — a call that outlives the window still counts until it
 * settles — and settled spend is stamped with the settle time, then ages out `sizeMs` later.
 */
export interface SlidingLedger extends LedgerCounters {
  readonly kind: 'sliding';
  readonly sizeMs: number;
  readonly slotMs: number;
  readonly times: number[];
  readonly amounts: number[];
  head: number;
  tailOpenedAt: number;
}

export type Ledger = CalendarLedger | SlidingLedger;

export function createLedger(window: WindowSpec, now: number): Ledger {
  if (typeof window === 'string') {
    const start = windowStart(window, now);
    return { kind: 'calendar', window, start, end: windowEnd(window, start), committed: 0, held: 0, holds: 0 };
  }
  return {
    kind: 'sliding',
    sizeMs: window.sliding,
    slotMs: Math.max(1, Math.floor(window.sliding / SLIDING_SLOTS)),
    times: [],
    amounts: [],
    head: 0,
    tailOpenedAt: -Infinity,
    committed: 0,
    held: 0,
    holds: 0,
  };
}

export function sameWindow(ledger: Ledger, window: WindowSpec): boolean {
  return ledger.kind === 'calendar' ? ledger.window === window : typeof window !== 'string' && window.sliding === ledger.sizeMs;
}

/** Brings a ledger to `now`: rolls a calendar window that ended, ages out sliding spend. */
export function refresh(ledger: Ledger, now: number): void {
  if (ledger.kind === 'calendar') {
    // Forward only: a caller with a lagging clock is counted in the current window.
    if (now < ledger.end) return;
    ledger.start = windowStart(ledger.window, now);
    ledger.end = windowEnd(ledger.window, ledger.start);
    // The old window's spend ends with it. Live holds carry over: a call in flight across the
    // boundary still counts against the new window, and settles into it (see docs/budgets.md).
    ledger.committed = 0;
    return;
  }
  const { times, amounts, sizeMs } = ledger;
  let head = ledger.head;
  while (head < times.length && times[head]! + sizeMs <= now) ledger.committed -= amounts[head++]!;
  if (head === times.length) {
    times.length = 0;
    amounts.length = 0;
    ledger.head = 0;
    ledger.committed = 0;
  } else if (head > 32 && head * 2 > times.length) {
    times.splice(0, head);
    amounts.splice(0, head);
    ledger.head = 0;
  } else {
    ledger.head = head;
  }
}

export function used(ledger: Ledger): number {
  return ledger.committed + ledger.held;
}

export function addHold(ledger: Ledger, amount: number): void {
  ledger.held += amount;
  ledger.holds += 1;
}

export function growHold(ledger: Ledger, amount: number): void {
  ledger.held += amount;
}

export function dropHold(ledger: Ledger, amount: number): void {
  ledger.holds -= 1;
  ledger.held = ledger.holds === 0 ? 0 : Math.max(0, ledger.held - amount);
}

/**
 * Records settled spend in the ledger's current window — the window the call SETTLES in, even
 * when it was reserved in an earlier one (its hold carried over at the boundary).
 */
export function commit(ledger: Ledger, amount: number, at: number): void {
  if (amount <= 0) return;
  ledger.committed += amount;
  if (ledger.kind === 'calendar') return;
  const { times, amounts } = ledger;
  const last = times.length - 1;
  if (last >= ledger.head && at < ledger.tailOpenedAt + ledger.slotMs) {
    amounts[last]! += amount;
    times[last] = Math.max(times[last]!, at);
  } else {
    // Stamps never go backwards, so the queue stays ordered even if callers' clocks disagree.
    const stamp = last >= ledger.head ? Math.max(times[last]!, at) : at;
    times.push(stamp);
    amounts.push(amount);
    ledger.tailOpenedAt = stamp;
  }
}

/** When `deficit` more room will have freed up by itself, if ever (see BudgetRefusal.resetAt). */
export function resetAt(ledger: Ledger, deficit: number): number | undefined {
  if (ledger.kind === 'calendar') return ledger.end;
  let freed = 0;
  for (let i = ledger.head; i < ledger.times.length; i++) {
    freed += ledger.amounts[i]!;
    if (freed >= deficit) return ledger.times[i]! + ledger.sizeMs;
  }
  return undefined;
}

/** When the oldest settled spend ages out (calendar: the window's end). */
export function nextReset(ledger: Ledger): number | undefined {
  if (ledger.kind === 'calendar') return ledger.end;
  return ledger.head < ledger.times.length ? ledger.times[ledger.head]! + ledger.sizeMs : undefined;
}

/** Whether the ledger holds nothing worth keeping: the store may forget it. */
export function isIdle(ledger: Ledger, now: number): boolean {
  // A ledger with live holds is never forgotten: their settles must land in it.
  if (ledger.kind === 'calendar') return ledger.holds === 0 && now >= ledger.end + CALENDAR_GRACE_MS;
  refresh(ledger, now);
  return ledger.holds === 0 && ledger.head === ledger.times.length;
}
