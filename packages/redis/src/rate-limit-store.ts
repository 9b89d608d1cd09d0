import type { RateLimitStore, TakeRequest, TakeResult } from '@keel/core';
import { defineScripts, keyPrefix, nowArg, type RedisClient } from './commands.js';
import { RATE_LIMIT_SCRIPTS } from './rate-limit-lua.js';

export interface RedisRateLimitStoreOptions {
  /** An ioredis client (single node or Cluster). The store never closes it. */
  readonly client: RedisClient;
  /** Namespace of every key, used as the Cluster hash tag: `{<prefix>}:rl:…`. @default 'keel' */
  readonly prefix?: string | undefined;
  /** As for the budget store: `'server'` (default) reads Redis `TIME` and ignores `now`. */
  readonly timeSource?: 'server' | 'caller' | undefined;
}

const DEFAULT_WINDOW_MS = 60_000;
const OK: TakeResult = Object.freeze({ ok: true });

function validate(request: TakeRequest, windowMs: number): void {
  if (!(windowMs > 0) || !Number.isFinite(windowMs)) throw new RangeError(`rate limit: windowMs must be > 0 (got ${windowMs})`);
  const { lines } = request;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (!(line.limit > 0) || !Number.isFinite(line.limit)) throw new RangeError(`rate limit: lines[${i}].limit must be a finite number > 0`);
    if (!(line.amount >= 0) || !Number.isFinite(line.amount)) throw new RangeError(`rate limit: lines[${i}].amount must be a finite number ≥ 0`);
    for (let j = 0; j < i; j++) {
      if (lines[j]!.key === line.key) throw new RangeError(`rate limit: lines[${j}] and lines[${i}] share the key "${line.key}"`);
    }
  }
}

/**
 * A RateLimitStore shared by every replica: GCRA, one Lua script per `take` / `refund`, all
 * lines compared and then charged in one atomic step. A `take` carries no id, so a command the
 * client resends after a lost reply may charge twice — the safe direction for a rate limit
 * (slightly stricter, never looser).
 */
export function createRedisRateLimitStore(options: RedisRateLimitStoreOptions): RateLimitStore {
  const p = keyPrefix(options.prefix ?? 'keel');
  const timeSource = options.timeSource ?? 'server';
  const run = defineScripts(options.client, RATE_LIMIT_SCRIPTS);

  function argsOf(request: TakeRequest): { keys: string[]; args: string[] } {
    const windowMs = request.windowMs ?? DEFAULT_WINDOW_MS;
    validate(request, windowMs);
    const keys = request.lines.map((line) => `${p}rl:${line.key}`);
    const args = [nowArg(timeSource, request.now), String(windowMs), String(request.lines.length)];
    for (const line of request.lines) args.push(String(line.limit), String(line.amount));
    return { keys, args };
  }

  return {
    async take(request) {
      if (request.lines.length === 0) return OK;
      const { keys, args } = argsOf(request);
      const reply = (await run.keelRateLimitTake(keys.length, ...keys, ...args)) as string[];
      if (reply[0] === 'ok') return OK;
      const index = Number(reply[1]);
      const line = request.lines[index]!;
      return { ok: false, line: index, key: line.key, limit: line.limit, retryAfterMs: reply[2] === '' ? undefined : Number(reply[2]) };
    },
    async refund(request) {
      if (request.lines.length === 0) return;
      const { keys, args } = argsOf(request);
      await run.keelRateLimitRefund(keys.length, ...keys, ...args);
    },
  };
}
