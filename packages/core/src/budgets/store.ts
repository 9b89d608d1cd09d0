import type { BudgetScope, BudgetUnit } from './schema.js';
import type { WindowSpec } from './windows.js';

/**
 * One limit that a call must fit, with what the call costs against it:
 * `base + perOutputToken × outputTokens` (base = priced input, perOutputToken = 1 for a token
 * limit or the output price for a USD one). The limit travels with the request, not the store:
 * a store holds only counters, so a config change needs no migration, and a Redis script gets
 * every input in one call.
 */
export interface ReserveLine {
  /** The counter's identity (see keys.ts); unique within one request. */
  readonly key: string;
  /** Echoed in a refusal, for `budget_exceeded` details. */
  readonly scope: BudgetScope;
  readonly unit: BudgetUnit;
  readonly limit: number;
  readonly window: WindowSpec;
  readonly base: number;
  readonly perOutputToken: number;
}

export interface ReserveRequest {
  /** Unique among live reservations (the call id); settle, release and charge name it. */
  readonly id: string;
  readonly lines: readonly ReserveLine[];
  /** The fewest output tokens worth calling for (= max to refuse rather than clamp). */
  readonly minOutputTokens: number;
  /** What the call asks for (`max_tokens`). */
  readonly maxOutputTokens: number;
  /**
   * How long the hold lives without a settle. Set it above the call's total deadline: it is
   * for callers that vanished (a crashed replica), not for slow calls.
   */
  readonly ttlMs: number;
  /** Epoch ms; defaults to the store's clock. A Redis store uses the server's clock instead. */
  readonly now?: number | undefined;
}

/** Room left on one line after a reservation. */
export interface LineRemaining {
  readonly key: string;
  readonly unit: BudgetUnit;
  readonly limit: number;
  readonly remaining: number;
}

export interface ReserveGranted {
  readonly ok: true;
  readonly id: string;
  /** Output tokens granted: the largest value in [min, max] that fits every line. Send it as `max_tokens`. */
  readonly outputTokens: number;
  /** When the hold expires unless settled. */
  readonly expiresAt: number;
  /** Per line, in request order. */
  readonly remaining: readonly LineRemaining[];
}

/** Why a call (or a stream's extension) does not fit: the most binding line. */
export interface BudgetRefusal {
  readonly ok: false;
  /** Index of the line in the request. */
  readonly line: number;
  readonly key: string;
  readonly scope: BudgetScope;
  readonly unit: BudgetUnit;
  readonly limit: number;
  /** Room left on this line now, ≥ 0 (held by calls in flight counts as used). */
  readonly remaining: number;
  /** What the smallest acceptable call needs on this line. Above `limit`: it can never fit. */
  readonly needed: number;
  /**
   * Epoch ms when enough room frees up: the window's end for a calendar window; for a sliding
   * window, when enough committed spend ages out. Absent when unknown — the room is held by calls
   * in flight, or `needed > limit`.
   */
  readonly resetAt?: number | undefined;
}

export type ReserveResult = ReserveGranted | BudgetRefusal;

/** Outcome of charging streamed output against a hold. */
export type ChargeResult =
  /** Still within the hold (extended if the stream outgrew it and there was room). */
  | { readonly ok: true; readonly outputTokens: number; readonly grantedOutputTokens: number }
  /** The hold is used up and cannot grow: end the stream now. Consumption is capped at the grant. */
  | {
      readonly ok: false;
      readonly reason: 'exhausted';
      readonly outputTokens: number;
      readonly grantedOutputTokens: number;
      readonly refusal: BudgetRefusal;
    }
  /** No live reservation by that id: settled, released, expired or never made. */
  | { readonly ok: false; readonly reason: 'not_found' };

/** A counter to read, for telemetry or a refusal's details. A ReserveLine qualifies. */
export interface BudgetQuery {
  readonly key: string;
  readonly unit: BudgetUnit;
  readonly limit: number;
  readonly window: WindowSpec;
}

export interface LineUsage {
  readonly key: string;
  readonly unit: BudgetUnit;
  readonly limit: number;
  /** Spend settled in the current window. */
  readonly committed: number;
  /** Held by calls in flight. */
  readonly held: number;
  /** `limit − committed − held`, floored at 0. */
  readonly remaining: number;
  /** Calendar: the window's end. Sliding: when the oldest committed spend ages out. */
  readonly resetAt?: number | undefined;
}

/**
 * Where budgets are counted. Every method is one atomic step over all its inputs — no
 * read-then-write across calls — so a Redis implementation is one Lua script per method.
 *
 * Life of a call: `reserve` → (streaming: `charge` as output arrives) → exactly one of
 * `settle` (usage known) or `release` (usage unknown) → or, if the caller vanished, expiry.
 */
export interface BudgetStore {
  /**
   * Compares and charges in one step, all lines or none: grants the largest output in
   * [min, max] that fits every line and holds `base + perOutputToken × granted` on each.
   */
  reserve(request: ReserveRequest): Promise<ReserveResult>;
  /**
   * Records `outputTokens` more streamed output. Within the grant: ok. Beyond it: grows the
   * hold on every line if all have room, else `exhausted` — end the stream. Recorded output is
   * what release and expiry commit, so a crashed stream still pays for what it produced.
   */
  charge(id: string, outputTokens: number, now?: number): Promise<ChargeResult>;
  /**
   * Optional: `charge` answered in the caller's turn, for a store whose state lives in this
   * process (the in-memory store has it; a Redis store cannot). Keel charges a stream's every
   * delta, so with this a stream pays no promise per chunk. It must do exactly what `charge`
   * does, and throw where `charge` rejects.
   */
  chargeNow?(id: string, outputTokens: number, now?: number): ChargeResult;
  /**
   * Commits what the call really consumed — `amounts[i]` in line i's unit, in request order —
   * and frees the rest of the hold. Amounts above the hold are committed as they are (the
   * provider's word is the truth; a key may then sit above its limit until it resets) — only
   * this can push a key past its limit, never concurrency. Idempotent: false when the id is not
   * live (already settled or released, expired, unknown).
   */
  settle(id: string, amounts: readonly number[], now?: number): Promise<boolean>;
  /**
   * Ends a reservation whose usage is unknown (failed before the provider answered, aborted
   * without usage): commits only the output recorded by `charge` (plus its input, since output
   * proves the provider was called), frees the rest. Idempotent like `settle`.
   */
  release(id: string, now?: number): Promise<boolean>;
  /** Current counters, for telemetry and refusal details. Read-only. */
  usage(queries: readonly BudgetQuery[], now?: number): Promise<LineUsage[]>;
}
