import type { CallState } from './context.js';

/**
 * The reservation id of a call's next budget hold: the call id for its first, then `id~n`. A call
 * may hold more than one at a time (a hedged backup) or one after another (a recovered stream),
 * and a store refuses an id that is still live.
 */
export function nextHoldId(call: CallState): string {
  const n = call.holds++;
  return n === 0 ? call.id : `${call.id}~${n}`;
}
