import { describe, expect, it } from 'vitest';
import { errorBoundedThreshold, fixedThreshold, KeelError, type EntryThreshold } from '../../src/index.js';

/** Feeds `count` observations spread over [from, to]. */
function feed(entry: EntryThreshold, from: number, to: number, count: number, correct: boolean): void {
  for (let i = 0; i < count; i++) entry.observe(from + ((to - from) * i) / Math.max(1, count - 1), correct);
}

describe('fixedThreshold', () => {
  it('serves at or above the threshold only, and ignores feedback', () => {
    const entry = fixedThreshold(0.9).forEntry();
    expect(entry.decide(0.9)).toEqual({ serve: true, threshold: 0.9 });
    expect(entry.decide(0.8999)).toEqual({ serve: false, threshold: 0.9 });
    feed(entry, 0.95, 1, 20, false);
    expect(entry.decide(0.97).serve).toBe(true);
  });

  it('refuses a threshold outside [-1, 1]', () => {
    expect(() => fixedThreshold(1.5)).toThrow(KeelError);
    expect(() => fixedThreshold(Number.NaN)).toThrow(KeelError);
  });
});

describe('errorBoundedThreshold', () => {
  it('serves nothing from an entry that has had no feedback (it explores first)', () => {
    const entry = errorBoundedThreshold({ delta: 0.05 }).forEntry();
    expect(entry.decide(0.999).serve).toBe(false);
  });

  it('learns a threshold between the wrong and the correct similarities', () => {
    const entry = errorBoundedThreshold({ delta: 0.05, pooledWeight: 0 }).forEntry();
    feed(entry, 0.55, 0.78, 30, false);
    feed(entry, 0.86, 1, 30, true);
    expect(entry.decide(0.97).serve).toBe(true);
    expect(entry.decide(0.75).serve).toBe(false);
    const { threshold } = entry.decide(0.99);
    expect(threshold).toBeGreaterThan(0.78);
    expect(threshold).toBeLessThan(0.99);
  });

  it('needs more evidence, so a higher similarity, for a tighter bound', () => {
    const thresholdFor = (delta: number): number => {
      const entry = errorBoundedThreshold({ delta, pooledWeight: 0 }).forEntry();
      feed(entry, 0.55, 0.8, 30, false);
      feed(entry, 0.8, 1, 30, true);
      return entry.decide(1).threshold;
    };
    expect(thresholdFor(0.01)).toBeGreaterThan(thresholdFor(0.1));
  });

  it('stops serving an entry whose hits are reported wrong', () => {
    const entry = errorBoundedThreshold({ delta: 0.05, pooledWeight: 0 }).forEntry();
    feed(entry, 0.55, 0.78, 30, false);
    feed(entry, 0.86, 1, 30, true);
    expect(entry.decide(0.95).serve).toBe(true);
    feed(entry, 0.93, 0.97, 10, false);
    expect(entry.decide(0.95).serve).toBe(false);
  });

  it('keeps entries apart without pooling, and lets a new entry start from pooled feedback with it', () => {
    const alone = errorBoundedThreshold({ delta: 0.05, pooledWeight: 0 });
    feed(alone.forEntry(), 0.86, 1, 40, true);
    expect(alone.forEntry().decide(0.97).serve).toBe(false);

    const pooled = errorBoundedThreshold({ delta: 0.05 });
    const teacher = pooled.forEntry();
    feed(teacher, 0.5, 0.78, 60, false);
    feed(teacher, 0.86, 1, 60, true);
    expect(pooled.forEntry().decide(0.98).serve).toBe(true);
  });

  it('refuses a delta outside (0, 1)', () => {
    expect(() => errorBoundedThreshold({ delta: 0 })).toThrow(KeelError);
    expect(() => errorBoundedThreshold({ delta: 1 })).toThrow(KeelError);
  });
});
