import { KeelError } from '../../errors/index.js';
import type { ThresholdPolicy } from './policy.js';

/** Serve any entry at cosine similarity ≥ `threshold`; feedback is ignored. */
export function fixedThreshold(threshold: number): ThresholdPolicy {
  if (!Number.isFinite(threshold) || threshold < -1 || threshold > 1) {
    throw new KeelError('bad_request', `fixedThreshold: threshold must be a number in [-1, 1], got ${String(threshold)}.`);
  }
  const entry = {
    decide: (similarity: number) => ({ serve: similarity >= threshold, threshold }),
    observe: () => undefined,
  };
  return { name: `fixed(${threshold})`, forEntry: () => entry };
}
