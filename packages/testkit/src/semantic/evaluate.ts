import { createSemanticCache, errorBoundedThreshold, fixedThreshold, type Embedder, type SemanticHit } from '@keel/core';

export type NearMissCategory = 'paraphrase' | 'negation' | 'swapped-entity' | 'changed-number' | 'unrelated';

/** A labelled pair: would `a`'s cached answer be a correct answer to `b`? */
export interface LabelledPair {
  readonly a: string;
  readonly b: string;
  readonly same: boolean;
  readonly category: NearMissCategory;
}

export type SemanticMode =
  | { readonly kind: 'fixed'; readonly threshold: number; readonly guards: boolean }
  | { readonly kind: 'error-bounded'; readonly delta: number; readonly guards: boolean };

export interface SemanticEvaluation {
  readonly mode: string;
  readonly pairs: number;
  /** Lookups answered from the cache. */
  readonly served: number;
  /** Served where `same` was false. */
  readonly falseHits: number;
  /** falseHits / pairs whose `same` is false: how many near misses got through. */
  readonly falseHitRate: number;
  /** Served where `same` was true, over those pairs: how many paraphrases were caught. */
  readonly hitRate: number;
  /** Served lookups, per category. */
  readonly servedByCategory: Readonly<Record<NearMissCategory, number>>;
}

export interface EvaluateOptions {
  readonly embedder: Embedder;
  /** Passes over the pairs, each in a new seeded order (repeat traffic, for learned thresholds). @default 1 */
  readonly rounds?: number | undefined;
  /** @default 7 */
  readonly seed?: number | undefined;
  /**
   * Pairs run first, in scopes of their own, with feedback but not counted: what the policy has
   * learnt from earlier traffic before these pairs arrive (only learned thresholds use it).
   */
  readonly warmup?: readonly LabelledPair[] | undefined;
}

/** A seeded Fisher–Yates shuffle (mulberry32), so every run sees the same order. */
function shuffled<T>(items: readonly T[], seed: number): T[] {
  let state = seed >>> 0;
  const random = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

export function describeMode(mode: SemanticMode): string {
  const base = mode.kind === 'fixed' ? `fixed ${mode.threshold}` : `error-bounded δ=${mode.delta}`;
  return `${base}${mode.guards ? ' + guards' : ''}`;
}

/**
 * Runs one mode over labelled pairs: `a` is remembered (each pair in its own scope, so pairs
 * never answer each other), `b` is looked up. Error-bounded modes learn online, as a cache stage
 * would feed them: a served hit is verified, and a miss is checked against the nearest entry
 * (the fresh answer compared with the cached one). Counts are over every round.
 */
export async function evaluateSemanticMode(
  pairs: readonly LabelledPair[],
  mode: SemanticMode,
  options: EvaluateOptions,
): Promise<SemanticEvaluation> {
  const policy = mode.kind === 'fixed' ? fixedThreshold(mode.threshold) : errorBoundedThreshold({ delta: mode.delta });
  const cache = createSemanticCache({ embedder: options.embedder, policy, guards: mode.guards });
  const servedByCategory: Record<NearMissCategory, number> = {
    paraphrase: 0,
    negation: 0,
    'swapped-entity': 0,
    'changed-number': 0,
    unrelated: 0,
  };
  const scoped = (list: readonly LabelledPair[], prefix: string) =>
    list.map((pair, i) => ({ pair, scope: { tenant: 'eval', feature: `${prefix}-${i}` } }));
  const indexed = scoped(pairs, 'pair');
  const warmup = scoped(options.warmup ?? [], 'warmup');
  for (const { pair, scope } of [...warmup, ...indexed]) await cache.remember(scope, pair.a, 'cached');
  let served = 0;
  let falseHits = 0;
  let trueHits = 0;
  const rounds = Math.max(1, options.rounds ?? 1);
  /** One lookup plus the feedback a stage would give; true when it was served. */
  async function ask({ pair, scope }: (typeof indexed)[number]): Promise<boolean> {
    const hit = await cache.lookup(scope, { prompt: pair.b });
    const checked: SemanticHit | undefined = hit ?? (await cache.nearest(scope, { prompt: pair.b }));
    if (checked) cache.verify(scope, pair.b, checked, pair.same);
    return hit !== undefined;
  }
  for (let round = 0; round < rounds; round++) {
    for (const item of shuffled(warmup, (options.seed ?? 7) + 1000 + round)) await ask(item);
  }
  for (let round = 0; round < rounds; round++) {
    for (const item of shuffled(indexed, (options.seed ?? 7) + round)) {
      if (!(await ask(item))) continue;
      served++;
      servedByCategory[item.pair.category]++;
      if (item.pair.same) trueHits++;
      else falseHits++;
    }
  }
  const different = pairs.filter((pair) => !pair.same).length * rounds;
  const same = pairs.filter((pair) => pair.same).length * rounds;
  return {
    mode: describeMode(mode),
    pairs: pairs.length,
    served,
    falseHits,
    falseHitRate: different === 0 ? 0 : falseHits / different,
    hitRate: same === 0 ? 0 : trueHits / same,
    servedByCategory,
  };
}
