import { createInMemoryRateLimitStore, type RateLimitStore, type TakeRequest, type TakeResult } from '@keel/core';
import { defineScripts, keyPrefix, nowArg, type RedisClient } from './commands.js';
import { isDown, isOutage, storeUnavailable, validateOutage, withTimeout, type OutageOptions } from './outage.js';
import { RATE_LIMIT_SCRIPTS } from './rate-limit-lua.js';

export interface RedisRateLimitStoreOptions extends OutageOptions {
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
 * (slightly stricter, never looser). While Redis is unreachable the outage policy applies
 * (outage.ts): refuse (`server` KeelError), count in memory, or count in memory at `share` of
 * each limit.
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

  const { policy, timeoutMs } = validateOutage(options);
  let local: RateLimitStore | undefined;
  const locally = (request: TakeRequest): TakeRequest =>
    typeof policy === 'object' ? { ...request, lines: request.lines.map((line) => ({ ...line, limit: line.limit * policy.lease.share })) } : request;

  async function takeInRedis(request: TakeRequest): Promise<TakeResult> {
    const { keys, args } = argsOf(request);
    const reply = (await run.keelRateLimitTake(keys.length, ...keys, ...args)) as string[];
    if (reply[0] === 'ok') return OK;
    const index = Number(reply[1]);
    const line = request.lines[index]!;
    return { ok: false, line: index, key: line.key, limit: line.limit, retryAfterMs: reply[2] === '' ? undefined : Number(reply[2]) };
  }

  return {
    async take(request) {
      if (request.lines.length === 0) return OK;
      let cause: unknown = new Error(`Redis connection is ${options.client.status}`);
      if (!isDown(options.client)) {
        try {
          const result = await withTimeout(takeInRedis(request), timeoutMs);
          local = undefined;
          return result;
        } catch (error) {
          if (!isOutage(error)) throw error;
          cause = error;
        }
      }
      if (policy === 'fail-closed') throw storeUnavailable('rate-limit', cause);
      local ??= createInMemoryRateLimitStore();
      const result = await local.take(locally(request));
      return result.ok ? result : { ...result, limit: request.lines[result.line]!.limit };
    },
    async refund(request) {
      if (request.lines.length === 0) return;
      if (local && isDown(options.client)) return local.refund(locally(request));
      const { keys, args } = argsOf(request);
      await withTimeout(run.keelRateLimitRefund(keys.length, ...keys, ...args), timeoutMs).catch((error: unknown) => {
        // A refund that cannot reach Redis is dropped: the bucket refills by itself.
        if (!isOutage(error)) throw error;
      });
    },
  };
}
