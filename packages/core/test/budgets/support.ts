import type { ReserveLine, ReserveRequest, WindowSpec } from '../../src/budgets/index.js';

let next = 0;

/** A token line: `base` input tokens plus one per output token. */
export function tokens(key: string, limit: number, window: WindowSpec = 'day', base = 0): ReserveLine {
  return { key, scope: 'feature', unit: 'tokens', limit, window, base, perOutputToken: 1 };
}

export function request(lines: readonly ReserveLine[], output: number | [min: number, max: number], now: number, ttlMs = 60_000): ReserveRequest {
  const [minOutputTokens, maxOutputTokens] = typeof output === 'number' ? [output, output] : output;
  return { id: `r${next++}`, lines, minOutputTokens, maxOutputTokens, ttlMs, now };
}

/** Reads a fast-check seed from FC_SEED or picks one, and prints it so CI logs can replay a failure. */
export function fcSeed(label: string): number {
  const seed = process.env.FC_SEED ? Number(process.env.FC_SEED) : Math.floor(Math.random() * 2 ** 31);
  console.log(`fast-check seed (${label}): ${seed} — replay with FC_SEED=${seed}`);
  return seed;
}
