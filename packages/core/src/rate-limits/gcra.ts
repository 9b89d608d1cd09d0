/**
 * GCRA, the Generic Cell Rate Algorithm: a token bucket with continuous refill, stored as one
 * number per key — the "theoretical arrival time" (TAT), when the bucket would be full again.
 * A bucket holds `limit` per `windowMs` and refills at `limit / windowMs` per ms.
 *
 * Why this one: the wait it reports is exact (no polling, no guess); state is O(1) per key
 * whatever the traffic (a sliding log keeps every request); there is no double burst at a
 * window boundary (a fixed window allows 2× across one); and a Redis script needs a single
 * GET/SET with the key expiring at its TAT. Providers' own TPM/RPM limits refill the same way.
 */

/** Tolerance for floating-point drift: limits like 7 per minute have non-integer intervals. */
const EPSILON_MS = 1e-6;

/** The TAT after admitting `amount`, or NaN when `amount > limit` (it never fits). */
export function nextTat(tat: number | undefined, now: number, limit: number, amount: number, windowMs: number): number {
  if (amount > limit) return Number.NaN;
  const from = tat === undefined || tat < now ? now : tat;
  return from + (amount * windowMs) / limit;
}

/** Whether a bucket whose TAT would become `tat` admits now. */
export function admits(tat: number, now: number, windowMs: number): boolean {
  return tat - now <= windowMs + EPSILON_MS;
}

/** How long until a bucket whose TAT would become `tat` admits (ms, rounded up, ≥ 1). */
export function waitMs(tat: number, now: number, windowMs: number): number {
  return Math.max(1, Math.ceil(tat - windowMs - now - EPSILON_MS));
}

/** The TAT after giving `amount` back; never earlier than `now` (a bucket is never over-full). */
export function refundedTat(tat: number, now: number, limit: number, amount: number, windowMs: number): number {
  return Math.max(now, tat - (amount * windowMs) / limit);
}
