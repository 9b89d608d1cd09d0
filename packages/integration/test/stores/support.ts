import type { ReserveLine, ReserveRequest, WindowSpec } from '@keel/core';

let next = 0;

/** A token line: `base` input tokens plus one per output token. */
export function tokens(key: string, limit: number, window: WindowSpec = 'day', base = 0): ReserveLine {
  return { key, scope: 'feature', unit: 'tokens', limit, window, base, perOutputToken: 1 };
}

export function request(lines: readonly ReserveLine[], output: number | [min: number, max: number], now: number, ttlMs = 60_000): ReserveRequest {
  const [minOutputTokens, maxOutputTokens] = typeof output === 'number' ? [output, output] : output;
  return { id: `r${next++}`, lines, minOutputTokens, maxOutputTokens, ttlMs, now };
}

export const tick = () => new Promise<void>((resolve) => setImmediate(resolve));
