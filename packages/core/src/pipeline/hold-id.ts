import type { CallState } from './context.js';

const counts = new WeakMap<CallState, number>();

/**
 * The reservation id of a call's next budget hold: the call id for its first, then `id~n`. A call
 * may hold more than one at a time (a hedged backup) or one after another (a recovered stream),
 * and a store refuses an id that is still live.
 */
export function nextHoldId(call: CallState): string {
  const n = counts.get(call) ?? 0;
  counts.set(call, n + 1);
  return n === 0 ? call.id : `${call.id}~${n}`;
}
