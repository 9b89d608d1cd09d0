/**
 * The most output tokens, at most `max`, such that `base + per × n ≤ available`; −1 when not
 * even `base` fits. Pure, so every store (and the Redis script) decides the same way. The final
 * loops correct floating-point rounding in USD amounts: the result is the largest n that
 * satisfies the inequality exactly as written.
 */
export function maxOutputFit(available: number, base: number, per: number, max: number): number {
  if (!(base <= available)) return -1; // also catches NaN
  if (per <= 0 || max === 0) return max;
  let n = Math.min(max, Math.floor((available - base) / per));
  // The division can land one off either way; settle on the exact inequality.
  while (n < max && base + per * (n + 1) <= available) n++;
  while (n > 0 && base + per * n > available) n--;
  return n;
}
