import { estimateTokensOfSize } from '../tokens/estimate.js';
import { utf8Bytes } from '../tokens/upper-bound.js';
import type { BudgetHold } from './admission.js';

/**
 * How far the estimate of a stream's text may pass its grant before Keel takes the provider for
 * one that ignores `max_tokens` and grows the hold (or ends the stream). The estimate over-counts
 * ordinary text by up to ~37 % (source code), so a stream that stays within the `max_tokens`
 * Keel sent is never cut; a provider that ignores it serves at most about this much more.
 */
export const METER_SLACK = 1.5;

/** Charges a text delta; `true` (or a promise of it) while the budget has room for it. */
export type StreamMeter = (delta: string) => boolean | Promise<boolean>;

/**
 * Charges a stream's text to its budget hold BEFORE the text is handed out, so a caller who
 * leaves early has paid for everything it was given. It measures the accumulated text, not each
 * delta (rounding once), and charges, per answer:
 *
 * - while the estimate is within `METER_SLACK × grant`: the text's UTF-8 bytes (a safe upper
 *   bound on its tokens) capped at the grant — already held, so this never cuts a stream;
 * - beyond it: the estimate itself, which grows the hold or, with no room left, resolves false.
 */
export function createStreamMeter(hold: BudgetHold): StreamMeter {
  const grant = hold.maxTokens ?? 0;
  const choices = hold.choices;
  let chars = 0;
  let bytes = 0;
  let charged = 0;
  // At once when there is nothing to charge (past the grant, within the slack) or the store
  // answers in this turn (the in-memory store): no await per delta.
  return (delta) => {
    chars += delta.length;
    bytes += utf8Bytes(delta);
    // Several answers stream interleaved; the grant and the charges count per answer.
    const estimate = Math.ceil(estimateTokensOfSize(chars, bytes) / choices);
    const target = estimate <= METER_SLACK * grant ? Math.min(Math.ceil(bytes / choices), grant) : estimate;
    if (target <= charged) return true;
    const more = target - charged;
    charged = target;
    return hold.charge(more);
  };
}
