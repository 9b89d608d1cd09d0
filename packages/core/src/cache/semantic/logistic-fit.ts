/**
 * A two-parameter logistic fit, P(correct | s) = σ(a + b·(s − centre)), by Newton's method on
 * the penalised (Gaussian-prior) likelihood, with the Laplace covariance for confidence bounds.
 * The prior keeps the fit finite when the samples separate perfectly, which few samples often do.
 */

/** Weighted observations: similarity, correct (1) or not (0), and how much each counts. */
export interface WeightedSamples {
  readonly similarity: ArrayLike<number>;
  readonly correct: ArrayLike<number>;
  readonly weight: ArrayLike<number>;
  readonly length: number;
}

export interface LogisticFit {
  readonly a: number;
  readonly b: number;
  /** The posterior covariance of (a, b): [var a, cov ab, var b]. */
  readonly cov: readonly [number, number, number];
}

/** Centring the similarity keeps a and b on comparable scales near the usual thresholds. */
export const FIT_CENTRE = 0.8;
/** Prior precisions: a ~ N(0, 2²), b ~ N(0, 40²) (b is per unit of similarity: steep is normal). */
const PRIOR_A = 1 / 4;
const PRIOR_B = 1 / 1600;

const sigmoid = (x: number): number => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));

export function fitLogistic(samples: WeightedSamples): LogisticFit {
  let a = 0;
  let b = 0;
  let haa = PRIOR_A;
  let hab = 0;
  let hbb = PRIOR_B;
  for (let iteration = 0; iteration < 50; iteration++) {
    let ga = -PRIOR_A * a;
    let gb = -PRIOR_B * b;
    haa = PRIOR_A;
    hab = 0;
    hbb = PRIOR_B;
    for (let i = 0; i < samples.length; i++) {
      const w = samples.weight[i]!;
      if (w === 0) continue;
      const x = samples.similarity[i]! - FIT_CENTRE;
      const p = sigmoid(a + b * x);
      const r = w * (samples.correct[i]! - p);
      ga += r;
      gb += r * x;
      const v = w * p * (1 - p);
      haa += v;
      hab += v * x;
      hbb += v * x * x;
    }
    const det = haa * hbb - hab * hab;
    const da = (hbb * ga - hab * gb) / det;
    const db = (haa * gb - hab * ga) / det;
    a += da;
    b += db;
    if (Math.abs(da) < 1e-7 && Math.abs(db) < 1e-7) break;
  }
  const det = haa * hbb - hab * hab;
  return { a, b, cov: [hbb / det, -hab / det, haa / det] };
}

/** A lower confidence bound on P(correct | similarity): the logit `z` standard errors down. */
export function lowerBound(fit: LogisticFit, similarity: number, z: number): number {
  const x = similarity - FIT_CENTRE;
  const eta = fit.a + fit.b * x;
  const variance = fit.cov[0] + 2 * x * fit.cov[1] + x * x * fit.cov[2];
  return sigmoid(eta - z * Math.sqrt(Math.max(0, variance)));
}
