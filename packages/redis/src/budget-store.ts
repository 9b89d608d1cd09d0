import { createInMemoryBudgetStore, type BudgetStore, type ReserveRequest, type ReserveResult } from '@keel/core';
import { isDown, isOutage, storeUnavailable, validateOutage, withTimeout, type OutageOptions } from './outage.js';
import { createScriptBudgetStore, type ScriptBudgetStoreOptions } from './script-budget-store.js';

export interface RedisBudgetStoreOptions extends ScriptBudgetStoreOptions, OutageOptions {}

/** Counters whose last seen room a lease is cut from; beyond this many, the oldest is forgotten. */
const MAX_KNOWN_KEYS = 10_000;

/**
 * A BudgetStore shared by every replica through Redis (see script-budget-store.ts), with an
 * outage policy (see outage.ts): while Redis is unreachable, new reservations are refused, or
 * counted in memory (fail-open), or counted in memory against a leased share of the room last
 * seen. Reservations made in Redis always end in Redis: their settles queue in ioredis and are
 * applied once it is back (idempotent, so a resend cannot charge twice).
 */
export function createRedisBudgetStore(options: RedisBudgetStoreOptions): BudgetStore {
  const { policy, timeoutMs } = validateOutage(options);
  const redis = createScriptBudgetStore(options);
  const { client } = options;
  // Room per counter from the last grant Redis gave: what a lease is a share of.
  const known = new Map<string, number>();
  // Reservations made in memory during an outage, and the store each lives in.
  const localOf = new Map<string, BudgetStore>();
  // One in-memory store per outage, so one outage's local spend is not carried into the next.
  let local: BudgetStore | undefined;

  function remember(result: ReserveResult): void {
    if (!result.ok) return;
    for (const line of result.remaining) {
      known.delete(line.key);
      known.set(line.key, line.remaining);
      if (known.size > MAX_KNOWN_KEYS) known.delete(known.keys().next().value!);
    }
  }

  async function reserveLocally(request: ReserveRequest, cause: unknown): Promise<ReserveResult> {
    if (policy === 'fail-closed') throw storeUnavailable('budget', cause);
    local ??= createInMemoryBudgetStore();
    const store = local;
    let lines = request.lines;
    if (typeof policy === 'object') {
      const { share } = policy.lease;
      // A counter with no room left gets the smallest positive limit: it refuses all but free calls.
      lines = lines.map((line) => ({ ...line, limit: Math.max(Number.MIN_VALUE, share * (known.get(line.key) ?? line.limit)) }));
    }
    const result = await store.reserve({ ...request, lines });
    if (!result.ok) return { ...result, limit: request.lines[result.line]!.limit };
    localOf.set(request.id, store);
    return result;
  }

  async function reserve(request: ReserveRequest): Promise<ReserveResult> {
    if (isDown(client)) return reserveLocally(request, new Error(`Redis connection is ${client.status}`));
    try {
      const result = await withTimeout(redis.reserve(request), timeoutMs);
      local = undefined; // Redis answers again: the next outage starts from what it says.
      remember(result);
      return result;
    } catch (error) {
      if (!isOutage(error)) throw error;
      return reserveLocally(request, error);
    }
  }

  /** Ends a Redis reservation: waits up to the timeout, then answers while ioredis keeps the command queued. */
  async function finishInRedis(work: Promise<boolean>): Promise<boolean> {
    try {
      return await withTimeout(work, timeoutMs);
    } catch (error) {
      if (!isOutage(error)) throw error;
      return true;
    }
  }

  return {
    reserve,
    charge: (id, outputTokens, now) => (localOf.get(id) ?? redis).charge(id, outputTokens, now),
    async settle(id, amounts, now) {
      const store = localOf.get(id);
      if (!store) return finishInRedis(redis.settle(id, amounts, now));
      localOf.delete(id);
      return store.settle(id, amounts, now);
    },
    async release(id, now) {
      const store = localOf.get(id);
      if (!store) return finishInRedis(redis.release(id, now));
      localOf.delete(id);
      return store.release(id, now);
    },
    usage: (queries, now) => redis.usage(queries, now),
  };
}
