import type { ReserveRequest } from './store.js';

/**
 * Checks a request's shape before anything is touched. These are programming errors of the
 * caller (the pipeline), not budget outcomes, so they reject with a RangeError. Cheap: a loop
 * over a handful of lines.
 */
export function validateReserve(request: ReserveRequest): void {
  const { id, lines, minOutputTokens: min, maxOutputTokens: max, ttlMs } = request;
  if (typeof id !== 'string' || id.length === 0) throw new RangeError('reserve: id must be a non-empty string');
  if (!Number.isSafeInteger(min) || !Number.isSafeInteger(max) || min < 0 || min > max) {
    throw new RangeError(`reserve: need integers 0 ≤ minOutputTokens ≤ maxOutputTokens (got ${min}, ${max})`);
  }
  if (!(ttlMs > 0) || !Number.isFinite(ttlMs)) throw new RangeError(`reserve: ttlMs must be > 0 (got ${ttlMs})`);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (!(line.limit > 0) || !Number.isFinite(line.limit)) throw new RangeError(`reserve: lines[${i}].limit must be a finite number > 0`);
    if (!(line.base >= 0) || !Number.isFinite(line.base)) throw new RangeError(`reserve: lines[${i}].base must be a finite number ≥ 0`);
    if (!(line.perOutputToken >= 0) || !Number.isFinite(line.perOutputToken)) {
      throw new RangeError(`reserve: lines[${i}].perOutputToken must be a finite number ≥ 0`);
    }
    for (let j = 0; j < i; j++) {
      if (lines[j]!.key === line.key) throw new RangeError(`reserve: lines[${j}] and lines[${i}] share the key "${line.key}"`);
    }
  }
}

export function validateAmounts(amounts: readonly number[], expected: number): void {
  if (amounts.length !== expected) throw new RangeError(`settle: expected ${expected} amounts, one per line (got ${amounts.length})`);
  for (let i = 0; i < amounts.length; i++) {
    const amount = amounts[i]!;
    if (!(amount >= 0) || !Number.isFinite(amount)) throw new RangeError(`settle: amounts[${i}] must be a finite number ≥ 0`);
  }
}

export function validateOutputTokens(tokens: number): void {
  if (!Number.isSafeInteger(tokens) || tokens < 0) throw new RangeError(`charge: outputTokens must be an integer ≥ 0 (got ${tokens})`);
}
