/**
 * The semantic layer over a labelled near-miss set written for this project
 * (fixtures/near-miss-pairs.jsonl): paraphrases that should hit, and negations, swapped entities,
 * changed numbers and unrelated prompts that must not. Embeddings from the testkit's local
 * embedder, so the numbers are deterministic; docs/semantic-cache.md quotes them.
 */
import { readFileSync } from 'node:fs';
import { createLocalEmbedder, evaluateSemanticMode, type LabelledPair, type SemanticMode } from '@keel/testkit';
import { describe, expect, it } from 'vitest';

const CATEGORIES = new Set(['paraphrase', 'negation', 'swapped-entity', 'changed-number', 'unrelated']);

function loadPairs(): LabelledPair[] {
  const text = readFileSync(new URL('./fixtures/near-miss-pairs.jsonl', import.meta.url), 'utf8');
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as LabelledPair);
}

const pairs = loadPairs();
const embedder = createLocalEmbedder();
const THRESHOLD = 0.7;
const unguarded: SemanticMode = { kind: 'fixed', threshold: THRESHOLD, guards: false };
const guarded: SemanticMode = { kind: 'fixed', threshold: THRESHOLD, guards: true };
const bounded: SemanticMode = { kind: 'error-bounded', delta: 0.02, guards: true };

describe('labelled near-miss set', () => {
  it('has at least 220 well-formed, distinct pairs in every category', () => {
    expect(pairs.length).toBeGreaterThanOrEqual(220);
    for (const pair of pairs) {
      expect(typeof pair.a === 'string' && typeof pair.b === 'string' && pair.a !== pair.b).toBe(true);
      expect(CATEGORIES.has(pair.category)).toBe(true);
      expect(pair.same).toBe(pair.category === 'paraphrase');
    }
    expect(new Set(pairs.map((pair) => `${pair.a}|${pair.b}`)).size).toBe(pairs.length);
    for (const category of CATEGORIES) expect(pairs.filter((pair) => pair.category === category).length).toBeGreaterThanOrEqual(30);
  });
});

describe('semantic modes on the near-miss set', () => {
  it('a fixed threshold without guards serves many near misses', async () => {
    const result = await evaluateSemanticMode(pairs, unguarded, { embedder });
    expect(result.falseHitRate).toBeGreaterThan(0.2);
    // Near misses score higher than most paraphrases: that is why a threshold alone fails.
    expect(result.servedByCategory.negation + result.servedByCategory['swapped-entity']).toBeGreaterThan(30);
  });

  it('the same threshold with the guards serves under 2% false hits and keeps the paraphrase hits', async () => {
    const plain = await evaluateSemanticMode(pairs, unguarded, { embedder });
    const result = await evaluateSemanticMode(pairs, guarded, { embedder });
    expect(result.falseHitRate).toBeLessThan(0.02);
    expect(result.hitRate).toBeGreaterThan(0.5);
    expect(result.hitRate).toBe(plain.hitRate);
  });

  it('error-bounded thresholds (δ = 2%) with the guards serve under 2% false hits, and do serve', async () => {
    const result = await evaluateSemanticMode(pairs, bounded, { embedder, rounds: 3 });
    expect(result.falseHitRate).toBeLessThan(0.02);
    expect(result.served).toBeGreaterThan(20);
    expect(result.hitRate).toBeGreaterThan(0.15);
  });

  it('error-bounded thresholds without guards learn that similarity alone is not enough here', async () => {
    const result = await evaluateSemanticMode(pairs, { kind: 'error-bounded', delta: 0.02, guards: false }, { embedder, rounds: 3 });
    expect(result.falseHitRate).toBeLessThan(0.02);
  });
});
