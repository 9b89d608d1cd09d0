import type { Clock } from '../util/clock.js';
import { systemClock } from '../util/clock.js';
import { admits, nextTat, refundedTat, waitMs } from './gcra.js';
import type { RateLimitStore, TakeRequest, TakeResult } from './store.js';

export interface InMemoryRateLimitStoreOptions {
  /** Time source when a call passes no `now`. @default the system clock */
  readonly clock?: Pick<Clock, 'now'> | undefined;
}

export interface InMemoryRateLimitStore extends RateLimitStore {
  /** Keys in memory (full buckets are forgotten). */
  size(): number;
}

const DEFAULT_WINDOW_MS = 60_000;
/** Keys examined for eviction per operation: a full bucket needs no state. */
const SWEEP_PER_OP = 4;
const OK: TakeResult = Object.freeze({ ok: true });

function validate(request: TakeRequest, windowMs: number): void {
  if (!(windowMs > 0) || !Number.isFinite(windowMs)) throw new RangeError(`rate limit: windowMs must be > 0 (got ${windowMs})`);
  const { lines } = request;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (!(line.limit > 0) || !Number.isFinite(line.limit)) throw new RangeError(`rate limit: lines[${i}].limit must be a finite number > 0`);
    if (!(line.amount >= 0) || !Number.isFinite(line.amount)) throw new RangeError(`rate limit: lines[${i}].amount must be a finite number ≥ 0`);
    for (let j = 0; j < i; j++) {
      if (lines[j]!.key === line.key) throw new RangeError(`rate limit: lines[${j}] and lines[${i}] share the key "${line.key}"`);
    }
  }
}

/**
 * The embedded RateLimitStore: GCRA (see gcra.ts) over a Map of one number per key. Each
 * operation runs synchronously, so `take` is atomic across its lines. No timers: a full bucket
 * is the same as no entry, so keys are evicted lazily, a few per operation.
 */
export function createInMemoryRateLimitStore(options: InMemoryRateLimitStoreOptions = {}): InMemoryRateLimitStore {
  const clock = options.clock ?? systemClock;
  const tats = new Map<string, number>();
  let sweep: MapIterator<[string, number]> | undefined;
  // Scratch space for the compare step, reused so `take` allocates nothing when it passes.
  const pending: number[] = [];

  function evictSome(now: number): void {
    for (let i = 0; i < SWEEP_PER_OP; i++) {
      sweep ??= tats.entries();
      const next = sweep.next();
      if (next.done) {
        sweep = undefined;
        return;
      }
      if (next.value[1] <= now) tats.delete(next.value[0]);
    }
  }

  function take(request: TakeRequest): TakeResult {
    const windowMs = request.windowMs ?? DEFAULT_WINDOW_MS;
    validate(request, windowMs);
    const now = request.now ?? clock.now();
    evictSome(now);
    const { lines } = request;
    // Compare every line first; remember the longest wait ("never" beats any wait).
    let worst = -1;
    let worstWait = -1;
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      const tat = nextTat(tats.get(line.key), now, line.limit, line.amount, windowMs);
      pending[i] = tat;
      if (Number.isNaN(tat)) {
        if (worstWait !== Infinity) {
          worst = i;
          worstWait = Infinity;
        }
      } else if (!admits(tat, now, windowMs)) {
        const wait = waitMs(tat, now, windowMs);
        if (wait > worstWait) {
          worst = i;
          worstWait = wait;
        }
      }
    }
    if (worst >= 0) {
      const line = lines[worst]!;
      return { ok: false, line: worst, key: line.key, limit: line.limit, retryAfterMs: worstWait === Infinity ? undefined : worstWait };
    }
    // Then charge them all, in the same synchronous step.
    for (let i = 0; i < lines.length; i++) {
      if (lines[i]!.amount > 0) tats.set(lines[i]!.key, pending[i]!);
    }
    return OK;
  }

  function refund(request: TakeRequest): void {
    const windowMs = request.windowMs ?? DEFAULT_WINDOW_MS;
    validate(request, windowMs);
    const now = request.now ?? clock.now();
    for (const line of request.lines) {
      const tat = tats.get(line.key);
      if (tat === undefined || line.amount === 0) continue;
      const next = refundedTat(tat, now, line.limit, line.amount, windowMs);
      if (next <= now) tats.delete(line.key);
      else tats.set(line.key, next);
    }
  }

  return {
    take: async (request) => take(request),
    refund: async (request) => refund(request),
    size: () => tats.size,
  };
}
