import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { BudgetStore, ReserveLine } from '@keel/core';
import { storeKinds } from './stores.js';

// The three kinds of counter: a calendar minute, a 2 s sliding window, USD per hour (floats).
const KEYS: readonly ReserveLine[] = [
  { key: 'minute', scope: 'feature', unit: 'tokens', limit: 250, window: 'minute', base: 0, perOutputToken: 1 },
  { key: 'sliding', scope: 'user', unit: 'tokens', limit: 180, window: { sliding: 2_000 }, base: 0, perOutputToken: 1 },
  { key: 'usd', scope: 'global', unit: 'usd', limit: 0.0015, window: 'hour', base: 0, perOutputToken: 1e-5 },
];

type Op =
  | { kind: 'reserve'; mask: number; base: number; min: number; extra: number; ttl: number }
  | { kind: 'settle'; pick: number; fraction: number }
  | { kind: 'release'; pick: number }
  | { kind: 'charge'; pick: number; tokens: number }
  | { kind: 'tick'; ms: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('reserve' as const), mask: fc.integer({ min: 1, max: 7 }), base: fc.integer({ min: 0, max: 60 }), min: fc.integer({ min: 0, max: 40 }), extra: fc.integer({ min: 0, max: 120 }), ttl: fc.integer({ min: 50, max: 5_000 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('settle' as const), pick: fc.nat(), fraction: fc.double({ min: 0, max: 1.3, noNaN: true }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('release' as const), pick: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('charge' as const), pick: fc.nat(), tokens: fc.integer({ min: 0, max: 80 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('tick' as const), ms: fc.integer({ min: 0, max: 3_000 }) }) },
);

const seed = process.env.FC_SEED ? Number(process.env.FC_SEED) : Math.floor(Math.random() * 2 ** 31);

/**
 * The Redis store must answer exactly as the in-memory reference does: the same random
 * interleavings of reserve / charge / settle / release / time passing (window roll-overs, sliding
 * age-out, lazy expiry, USD floats) run against both, and every answer and every counter must be
 * identical, to the last bit.
 */
describe('Redis BudgetStore ≡ in-memory BudgetStore (fast-check)', () => {
  const [memory, redis] = storeKinds();

  it('gives identical answers and counters on random interleavings', async () => {
    console.log(`fast-check seed (budget differential): ${seed} — replay with FC_SEED=${seed}`);
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 40 }), fc.integer({ min: 0, max: 7_200_000 }), async (ops, start) => {
        const stores: BudgetStore[] = [memory!.budget(), redis!.budget()];
        const ids: string[] = [];
        let now = start;
        const both = async <T>(f: (store: BudgetStore) => Promise<T>): Promise<T> => {
          const [a, b] = await Promise.all(stores.map(f));
          expect(b).toEqual(a);
          return a!;
        };
        run++;
        for (const step of ops) {
          switch (step.kind) {
            case 'tick':
              now += step.ms;
              break;
            case 'reserve': {
              const lines = [0, 1, 2]
                .filter((k) => step.mask & (1 << k))
                .map((k) => ({ ...KEYS[k]!, base: KEYS[k]!.unit === 'usd' ? step.base * 2.5e-6 : step.base }));
              const id = `run${run}-r${ids.length}`;
              ids.push(id);
              lineCounts.set(id, lines.length);
              await both((s) => s.reserve({ id, lines, minOutputTokens: step.min, maxOutputTokens: step.min + step.extra, ttlMs: step.ttl, now }));
              break;
            }
            case 'settle': {
              if (ids.length === 0) break;
              const id = ids[step.pick % ids.length]!;
              // What the provider reported, per line (up to 130 % of a typical hold: over-reports too).
              const amounts = KEYS.slice(0, lineCounts.get(id)).map((key) => step.fraction * 50 * (key.unit === 'usd' ? 1e-5 : 1));
              await both((s) => s.settle(id, amounts, now));
              break;
            }
            case 'release':
              if (ids.length) await both((s) => s.release(ids[step.pick % ids.length]!, now));
              break;
            case 'charge':
              if (ids.length) await both((s) => s.charge(ids[step.pick % ids.length]!, step.tokens, now));
              break;
          }
          await both((s) => s.usage(KEYS, now));
        }
      }),
      { seed, numRuns: 300 },
    );
    // Round trips to a real Redis: generous, so a saturated machine only makes it slower.
  }, 180_000);
});

const lineCounts = new Map<string, number>();
