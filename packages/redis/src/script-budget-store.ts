import { randomUUID } from 'node:crypto';
import {
  validateAmounts,
  validateOutputTokens,
  validateReserve,
  windowTag,
  type BudgetQuery,
  type BudgetRefusal,
  type BudgetStore,
  type ChargeResult,
  type LineUsage,
  type ReserveRequest,
  type ReserveResult,
} from '@keel/core';
import { BUDGET_SCRIPTS } from './budget-lua.js';
import { defineScripts, keyPrefix, nowArg, rethrowScriptError, type RedisClient } from './commands.js';

export interface ScriptBudgetStoreOptions {
  /** An ioredis client (single node or Cluster). The store never closes it. */
  readonly client: RedisClient;
  /** Namespace of every key, used as the Cluster hash tag: `{<prefix>}:…`. @default 'keel' */
  readonly prefix?: string | undefined;
  /**
   * Where "now" comes from. `'server'` (default): the Redis server's `TIME`, inside each script,
   * so replicas with skewed clocks agree; the `now` arguments of the BudgetStore methods are
   * ignored. `'caller'`: the `now` each call passes (required then) — for deterministic tests
   * and simulations only.
   */
  readonly timeSource?: 'server' | 'caller' | undefined;
}

type Reply = string[];

function refusalOf(line: ReserveRequest['lines'][number], index: number, remaining: string, needed: string, resetAt: string): BudgetRefusal {
  return {
    ok: false,
    line: index,
    key: line.key,
    scope: line.scope,
    unit: line.unit,
    limit: line.limit,
    remaining: Number(remaining),
    needed: Number(needed),
    resetAt: resetAt === '' ? undefined : Number(resetAt),
  };
}

/**
 * The BudgetStore over Redis itself, without the outage policy (budget-store.ts adds it): each method is one Lua script (see budget-lua.ts), so
 * reserve compares and charges every line in one atomic step on the server, exactly like the
 * in-memory store. Each call carries a fresh nonce, so a command the client resends after a lost
 * reply (ioredis does on reconnect) is recognised and answered without charging twice.
 */
export function createScriptBudgetStore(options: ScriptBudgetStoreOptions): BudgetStore {
  const p = keyPrefix(options.prefix ?? 'keel');
  const timeSource = options.timeSource ?? 'server';
  const run = defineScripts(options.client, BUDGET_SCRIPTS);
  const exp = `${p}exp`;
  const res = (id: string) => `${p}r:${id}`;
  const ledgerKeys = (key: string) => [`${p}b:${key}`, `${p}s:${key}`];

  async function reserve(request: ReserveRequest): Promise<ReserveResult> {
    validateReserve(request);
    const { id, lines } = request;
    const keys = [exp, res(id), ...lines.flatMap((line) => ledgerKeys(line.key))];
    const args: string[] = [p, nowArg(timeSource, request.now), randomUUID(), id, String(request.minOutputTokens), String(request.maxOutputTokens), String(request.ttlMs), String(lines.length)];
    for (const line of lines) args.push(line.key, windowTag(line.window), String(line.limit), String(line.base), String(line.perOutputToken), line.scope, line.unit);
    const reply = (await run.keelBudgetReserve(keys.length, ...keys, ...args).catch(rethrowScriptError)) as Reply;
    if (reply[0] === 'refused') {
      const index = Number(reply[1]);
      return refusalOf(lines[index]!, index, reply[2]!, reply[3]!, reply[4]!);
    }
    return {
      ok: true,
      id,
      outputTokens: Number(reply[1]),
      expiresAt: Number(reply[2]),
      remaining: lines.map((line, i) => ({ key: line.key, unit: line.unit, limit: line.limit, remaining: Number(reply[3 + i]) })),
    };
  }

  async function charge(id: string, outputTokens: number, now?: number): Promise<ChargeResult> {
    validateOutputTokens(outputTokens);
    const reply = (await run.keelBudgetCharge(2, exp, res(id), p, nowArg(timeSource, now), randomUUID(), id, String(outputTokens)).catch(rethrowScriptError)) as Reply;
    if (reply[0] === 'not_found') return { ok: false, reason: 'not_found' };
    const consumed = Number(reply[1]);
    const granted = Number(reply[2]);
    if (reply[0] === 'ok') return { ok: true, outputTokens: consumed, grantedOutputTokens: granted };
    const refusal: BudgetRefusal = {
      ok: false,
      line: Number(reply[3]),
      key: reply[7]!,
      scope: reply[8] as BudgetRefusal['scope'],
      unit: reply[9] as BudgetRefusal['unit'],
      limit: Number(reply[10]),
      remaining: Number(reply[4]),
      needed: Number(reply[5]),
      resetAt: reply[6] === '' ? undefined : Number(reply[6]),
    };
    return { ok: false, reason: 'exhausted', outputTokens: consumed, grantedOutputTokens: granted, refusal };
  }

  async function settle(id: string, amounts: readonly number[], now?: number): Promise<boolean> {
    // The line count is checked by the script, against the reservation.
    validateAmounts(amounts, amounts.length);
    const reply = (await run
      .keelBudgetSettle(2, exp, res(id), p, nowArg(timeSource, now), randomUUID(), id, String(amounts.length), ...amounts.map(String))
      .catch(rethrowScriptError)) as string;
    return reply !== '0';
  }

  async function release(id: string, now?: number): Promise<boolean> {
    const reply = (await run.keelBudgetRelease(2, exp, res(id), p, nowArg(timeSource, now), randomUUID(), id).catch(rethrowScriptError)) as string;
    return reply !== '0';
  }

  async function usage(queries: readonly BudgetQuery[], now?: number): Promise<LineUsage[]> {
    const keys = [exp, ...queries.flatMap((query) => ledgerKeys(query.key))];
    const args: string[] = [p, nowArg(timeSource, now), String(queries.length)];
    for (const query of queries) args.push(query.key, windowTag(query.window), String(query.limit));
    const reply = (await run.keelBudgetUsage(keys.length, ...keys, ...args).catch(rethrowScriptError)) as Reply[];
    return queries.map((query, i) => {
      const [committed, held, remaining, resetAt] = reply[i]!;
      return { key: query.key, unit: query.unit, limit: query.limit, committed: Number(committed), held: Number(held), remaining: Number(remaining), resetAt: resetAt === '' ? undefined : Number(resetAt) };
    });
  }

  return { reserve, charge, settle, release, usage };
}
