import { KeelError } from '../../errors/index.js';
import { fitLogistic, lowerBound, type LogisticFit } from './logistic-fit.js';
import type { EntryThreshold, ThresholdDecision, ThresholdPolicy } from './policy.js';

export interface ErrorBoundedOptions {
  /** The error bound δ: serve only when P(correct) is, with confidence, at least 1 − δ. */
  readonly delta: number;
  /** Standard errors below the estimate the bound is taken at (1.645 ≈ one-sided 95 %). @default 1.645 */
  readonly z?: number | undefined;
  /** Feedback samples an entry keeps (the newest). @default 64 */
  readonly maxSamplesPerEntry?: number | undefined;
  /**
   * How many samples the feedback pooled over every entry counts for, at most, in each entry's
   * fit (0: entries learn only from their own feedback, as in vCache). @default 100
   */
  readonly pooledWeight?: number | undefined;
}

const BINS = 200;
const binOf = (similarity: number): number => Math.min(BINS - 1, Math.max(0, Math.floor(((similarity + 1) / 2) * BINS)));
const binCentre = (bin: number): number => ((bin + 0.5) / BINS) * 2 - 1;

/**
 * Per-entry learned thresholds under an error bound, after "vCache: Verified Semantic Prompt
 * Caching": every entry keeps the (similarity, correct?) feedback it received and fits
 * P(correct | similarity) as a logistic curve; a hit is served only when a conservative lower
 * bound on that probability at this similarity is ≥ 1 − δ. Otherwise it is a miss, and the
 * caller's `verify` feedback on the fresh answer teaches the entry (exploration). Feedback is
 * also pooled over the entries (binned by similarity) and counts, down-weighted, in each fit so
 * that a new entry starts from what the others learnt rather than from nothing.
 */
export function errorBoundedThreshold(options: ErrorBoundedOptions): ThresholdPolicy {
  const { delta } = options;
  if (!(delta > 0 && delta < 1)) throw new KeelError('bad_request', `errorBoundedThreshold: delta must be in (0, 1), got ${String(delta)}.`);
  const z = options.z ?? 1.645;
  const maxSamples = Math.max(1, options.maxSamplesPerEntry ?? 64);
  const pooledWeight = Math.max(0, options.pooledWeight ?? 100);
  const pooledCorrect = new Float64Array(BINS);
  const pooledWrong = new Float64Array(BINS);
  let pooledCount = 0;
  let pooledVersion = 0;

  function forEntry(): EntryThreshold {
    const own: { similarity: number; correct: boolean }[] = [];
    let fit: LogisticFit | undefined;
    let fittedAt = -1;

    function currentFit(): LogisticFit {
      if (fit && fittedAt === pooledVersion) return fit;
      const scale = pooledCount > 0 ? Math.min(1, pooledWeight / pooledCount) : 0;
      const n = 2 * BINS + own.length;
      const similarity = new Float64Array(n);
      const correct = new Float64Array(n);
      const weight = new Float64Array(n);
      for (let bin = 0; bin < BINS; bin++) {
        similarity[2 * bin] = similarity[2 * bin + 1] = binCentre(bin);
        correct[2 * bin] = 1;
        weight[2 * bin] = pooledCorrect[bin]! * scale;
        weight[2 * bin + 1] = pooledWrong[bin]! * scale;
      }
      own.forEach((sample, i) => {
        similarity[2 * BINS + i] = sample.similarity;
        correct[2 * BINS + i] = sample.correct ? 1 : 0;
        weight[2 * BINS + i] = 1;
      });
      fit = fitLogistic({ similarity, correct, weight, length: n });
      fittedAt = pooledVersion;
      return fit;
    }

    const confident = (similarity: number): boolean => lowerBound(currentFit(), similarity, z) >= 1 - delta;

    function decide(similarity: number): ThresholdDecision {
      if (!confident(similarity)) return { serve: false, threshold: Infinity };
      // The lowest similarity still served, by bisection (the bound rises with similarity
      // across the range the samples cover), reported as this entry's learned threshold.
      let lo = -1;
      let hi = similarity;
      for (let i = 0; i < 24; i++) {
        const mid = (lo + hi) / 2;
        if (confident(mid)) hi = mid;
        else lo = mid;
      }
      return { serve: true, threshold: hi };
    }

    function observe(similarity: number, correct: boolean): void {
      if (!Number.isFinite(similarity)) return;
      own.push({ similarity, correct });
      if (own.length > maxSamples) own.shift();
      (correct ? pooledCorrect : pooledWrong)[binOf(similarity)]! += 1;
      pooledCount++;
      pooledVersion++;
    }

    return { decide, observe };
  }

  return { name: `error-bounded(δ=${delta})`, forEntry };
}
