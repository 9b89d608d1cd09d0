import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createInMemoryBudgetStore, windowStart, type ReserveLine } from '../../src/budgets/index.js';
import { fcSeed } from './support.js';

// Three counters of different kinds: a calendar minute, a 2 s sliding window, and USD per hour.
const KEYS: readonly ReserveLine[] = [
  { key: 'minute', scope: 'feature', unit: 'tokens', limit: 250, window: 'minute', base: 0, perOutputToken: 1 },
  { key: 'sliding', scope: 'user', unit: 'tokens', limit: 180, window: { sliding: 2_000 }, base: 0, perOutputToken: 1 },
  { key: 'usd', scope: 'global', unit: 'usd', limit: 0.0015, window: 'hour', base: 0, perOutputToken: 1e-5 },
];
const EPS = 1e-12;

type Op =
  | { kind: 'reserve'; mask: number; base: number; min: number; extra: number; ttl: number }
  | { kind: 'settle'; pick: number; fraction: number }
  | { kind: 'release'; pick: number }
  | { kind: 'charge'; pick: number; tokens: number }
  | { kind: 'tick'; ms: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('reserve' as const), mask: fc.integer({ min: 1, max: 7 }), base: fc.integer({ min: 0, max: 60 }), min: fc.integer({ min: 0, max: 40 }), extra: fc.integer({ min: 0, max: 120 }), ttl: fc.integer({ min: 50, max: 5_000 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('settle' as const), pick: fc.nat(), fraction: fc.double({ min: 0, max: 1, noNaN: true }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('release' as const), pick: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('charge' as const), pick: fc.nat(), tokens: fc.integer({ min: 0, max: 80 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('tick' as const), ms: fc.integer({ min: 0, max: 3_000 }) }) },
);

interface ModelLine {
  readonly k: number;
  readonly base: number;
  readonly per: number;
  readonly epoch: number;
}
interface ModelReservation {
  readonly id: string;
  readonly lines: readonly ModelLine[];
  readonly expiresAt: number;
  granted: number;
  consumed: number;
  done: boolean;
}

function epochOf(k: number, now: number): number {
  const window = KEYS[k]!.window;
  return typeof window === 'string' ? windowStart(window, now) : 0;
}

describe('in-memory BudgetStore: random interleavings (fast-check)', () => {
  it('keeps committed + held ≤ limit on every key at every step, with exact hold accounting', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 40 }), fc.integer({ min: 0, max: 120_000 }), async (ops, start) => {
        const store = createInMemoryBudgetStore();
        const all: ModelReservation[] = [];
        // Model of what the current calendar windows committed (the sliding one is checked by the invariant only).
        const committed = [0, 0, 0];
        const committedEpoch = [epochOf(0, start), 0, epochOf(2, start)];
        let now = start;
        let n = 0;

        const rollModel = () => {
          for (const k of [0, 2]) {
            if (epochOf(k, now) !== committedEpoch[k]) {
              committedEpoch[k] = epochOf(k, now);
              committed[k] = 0;
            }
          }
        };
        /**
         * A settle or release lands in the window current when it happens (a hold carried over a
         * boundary settles into the new window); an expiry happens at the hold's `expiresAt`, so
         * one processed lazily after a boundary lands in the window it expired in — a past one,
         * which this model does not track.
         */
        const commitModel = (r: ModelReservation, amounts: readonly number[], at = now) => {
          r.lines.forEach((line, i) => {
            if (line.k !== 1 && epochOf(line.k, at) === committedEpoch[line.k]) committed[line.k]! += amounts[i]!;
          });
        };
        const recorded = (r: ModelReservation) => r.lines.map((l) => (r.consumed > 0 ? l.base + l.per * r.consumed : 0));
        const expireModel = () => {
          for (const r of all) {
            if (!r.done && r.expiresAt <= now) {
              r.done = true;
              commitModel(r, recorded(r), r.expiresAt);
            }
          }
        };
        const pick = (i: number) => (all.length ? all[i % all.length] : undefined);

        for (const step of ops) {
          if (step.kind === 'tick') {
            now += step.ms;
            continue;
          }
          rollModel();
          expireModel();
          switch (step.kind) {
            case 'reserve': {
              const chosen = [0, 1, 2].filter((k) => step.mask & (1 << k));
              const lines = chosen.map((k) => {
                const key = KEYS[k]!;
                return { ...key, base: key.unit === 'usd' ? step.base * 2.5e-6 : step.base };
              });
              const max = step.min + step.extra;
              const id = `r${n++}`;
              const result = await store.reserve({ id, lines, minOutputTokens: step.min, maxOutputTokens: max, ttlMs: step.ttl, now });
              if (result.ok) {
                expect(result.outputTokens).toBeGreaterThanOrEqual(step.min);
                expect(result.outputTokens).toBeLessThanOrEqual(max);
                // The grant is the largest that fits: one more token would break some line.
                if (result.outputTokens < max) {
                  // (USD sums are floats: "would break" is judged to within EPS.)
                  const slack = (i: number) => (lines[i]!.unit === 'usd' ? EPS : 0);
                  expect(result.remaining.some((rem, i) => rem.remaining < lines[i]!.perOutputToken + slack(i))).toBe(true);
                }
                all.push({
                  id,
                  lines: lines.map((l, i) => ({ k: chosen[i]!, base: l.base, per: l.perOutputToken, epoch: epochOf(chosen[i]!, now) })),
                  expiresAt: now + step.ttl,
                  granted: result.outputTokens,
                  consumed: 0,
                  done: false,
                });
              } else {
                expect(result.needed).toBeGreaterThan(result.remaining);
                expect(lines[result.line]!.key).toBe(result.key);
              }
              break;
            }
            case 'settle': {
              const r = pick(step.pick);
              if (!r) break;
              const amounts = r.lines.map((l) => {
                const hold = l.base + l.per * r.granted;
                return KEYS[l.k]!.unit === 'usd' ? hold * step.fraction : Math.floor(hold * step.fraction);
              });
              expect(await store.settle(r.id, amounts, now)).toBe(!r.done);
              if (!r.done) {
                r.done = true;
                commitModel(r, amounts);
              }
              break;
            }
            case 'release': {
              const r = pick(step.pick);
              if (!r) break;
              expect(await store.release(r.id, now)).toBe(!r.done);
              if (!r.done) {
                r.done = true;
                commitModel(r, recorded(r));
              }
              break;
            }
            case 'charge': {
              const r = pick(step.pick);
              if (!r) break;
              const result = await store.charge(r.id, step.tokens, now);
              if (r.done) {
                expect(result).toEqual({ ok: false, reason: 'not_found' });
                break;
              }
              if (result.ok) {
                expect(result.outputTokens).toBe(r.consumed + step.tokens);
                r.granted = result.grantedOutputTokens;
                r.consumed = result.outputTokens;
              } else {
                expect(result.reason).toBe('exhausted');
                r.consumed = r.granted;
              }
              break;
            }
          }

          // The invariant, and exact accounting of holds (and of calendar commits).
          const usage = await store.usage(KEYS, now);
          usage.forEach((u, k) => {
            const tolerance = KEYS[k]!.unit === 'usd' ? 1e-12 : 0;
            expect(u.held).toBeGreaterThanOrEqual(0);
            expect(u.committed).toBeGreaterThanOrEqual(-tolerance);
            expect(u.committed + u.held).toBeLessThanOrEqual(KEYS[k]!.limit + tolerance);
            let held = 0;
            for (const r of all) {
              if (r.done || r.expiresAt <= now) continue;
              for (const l of r.lines) if (l.k === k) held += l.base + l.per * r.granted;
            }
            expect(u.held).toBeCloseTo(held, 9);
            if (k !== 1) expect(u.committed).toBeCloseTo(committed[k]!, 9);
          });
        }
      }),
      { numRuns: 1_000, seed: fcSeed('budget store'), verbose: true },
    );
  });
});
