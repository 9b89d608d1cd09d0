import type { ValidatedRequest } from '../config/request.js';
import { upperBoundTokens } from '../tokens/upper-bound.js';

type Messages = ValidatedRequest['messages'];

/** From this many UTF-16 units a prompt's bound is kept: below, one more pass costs less than the lookup. */
const KEEP_FROM_UNITS = 4_096;

const bounds = new WeakMap<Messages, number>();

/**
 * A request's byte bound on its prompt tokens (`upperBoundTokens`), counted once per request.
 * One call can need it four times (context window, rate limits, budget reserve, settle), and on
 * a big prompt each is a UTF-8 count of every byte, about 14 µs per 100 KB. Keyed by the
 * request's messages, which are Keel's own copy (validateRequest), so they cannot change after.
 */
export function promptBound(messages: Messages): number {
  let units = 0;
  for (const message of messages) units += message.content.length;
  if (units < KEEP_FROM_UNITS) return upperBoundTokens(messages);
  let bound = bounds.get(messages);
  if (bound === undefined) bounds.set(messages, (bound = upperBoundTokens(messages)));
  return bound;
}
