import { costUsd, inputUsdPerToken, outputUsdPerToken, type PricedUsage } from '../pricing/cost.js';
import type { ModelPrice } from '../pricing/schema.js';
import { keyFor, keyTemplate, type KeyTemplate } from './keys.js';
import type { BudgetLimit, BudgetUnit, FeatureBudget, OnExceeded } from './schema.js';
import type { ReserveLine } from './store.js';

/** One call, as budgeting sees it. */
export interface PlanInput {
  readonly user?: string | undefined;
  readonly tenant?: string | undefined;
  /** Input tokens: the cheap upper bound on the hot path, or the exact count near a limit. */
  readonly inputTokens: number;
  /** Output the call asks for (`max_tokens`), per answer. */
  readonly maxOutputTokens: number;
  /**
   * Answers the provider generates (OpenAI's `n`), each up to `maxOutputTokens`. Output tokens
   * in the plan and the grant stay per answer; each one costs `choices` on every line. @default 1
   */
  readonly choices?: number | undefined;
  /** The model's price; required when the budget has a USD limit or `perRequest.maxUsd`. */
  readonly price?: ModelPrice | undefined;
}

export type BudgetPlan =
  | {
      readonly ok: true;
      readonly lines: readonly ReserveLine[];
      readonly minOutputTokens: number;
      readonly maxOutputTokens: number;
    }
  /** The call breaks the feature's per-request cap whatever the budget's state. */
  | { readonly ok: false; readonly reason: 'per_request'; readonly unit: BudgetUnit; readonly limit: number; readonly needed: number };

/** A feature's budget, prepared once at `createKeel` so a call only fills in its numbers. */
export interface CompiledBudget {
  readonly feature: string;
  readonly onExceeded: OnExceeded;
  /** Whether planning needs a price (a USD limit or `perRequest.maxUsd`). */
  readonly needsPrice: boolean;
  plan(input: PlanInput): BudgetPlan;
}

interface CompiledLimit {
  readonly limit: BudgetLimit;
  readonly template: KeyTemplate;
}

export function compileFeatureBudget(feature: string, budget: FeatureBudget): CompiledBudget {
  const limits: CompiledLimit[] = budget.limits.map((limit) => ({
    limit,
    template: keyTemplate(feature, limit.scope, limit.unit, limit.window),
  }));
  const perRequest = budget.perRequest;
  const needsPrice = limits.some(({ limit }) => limit.unit === 'usd') || perRequest?.maxUsd !== undefined;
  const clampMin = typeof budget.onExceeded === 'object' && 'clamp' in budget.onExceeded ? budget.onExceeded.clamp.minOutputTokens : undefined;
  const subject: { feature: string; user?: string | undefined; tenant?: string | undefined } = { feature };

  function plan(input: PlanInput): BudgetPlan {
    const { inputTokens, price } = input;
    if (needsPrice && !price) throw new RangeError(`budget of feature "${feature}" needs a price for its USD limits`);
    const choices = input.choices ?? 1;
    const inputUsd = price ? inputTokens * inputUsdPerToken(price) : 0;
    // One granted output token is one token of each answer.
    const outputUsd = price ? outputUsdPerToken(price) * choices : 0;
    // Refuse/degrade: all of max_tokens or nothing. Clamp: down to its minimum.
    const min = clampMin === undefined ? input.maxOutputTokens : Math.min(clampMin, input.maxOutputTokens);
    let max = input.maxOutputTokens;

    if (perRequest?.maxTokens !== undefined) {
      max = Math.min(max, Math.floor((perRequest.maxTokens - inputTokens) / choices));
      if (max < min) return { ok: false, reason: 'per_request', unit: 'tokens', limit: perRequest.maxTokens, needed: inputTokens + choices * min };
    }
    if (perRequest?.maxUsd !== undefined) {
      const room = perRequest.maxUsd - inputUsd;
      max = outputUsd > 0 ? Math.min(max, Math.floor(room / outputUsd)) : room >= 0 ? max : -1;
      if (max < min) return { ok: false, reason: 'per_request', unit: 'usd', limit: perRequest.maxUsd, needed: inputUsd + outputUsd * min };
    }

    subject.user = input.user;
    subject.tenant = input.tenant;
    const lines: ReserveLine[] = [];
    for (const { limit, template } of limits) {
      const key = keyFor(template, subject);
      if (key === undefined) continue;
      const usd = limit.unit === 'usd';
      lines.push({
        key,
        scope: limit.scope,
        unit: limit.unit,
        limit: limit.limit,
        window: limit.window,
        base: usd ? inputUsd : inputTokens,
        perOutputToken: usd ? outputUsd : choices,
      });
    }
    return { ok: true, lines, minOutputTokens: min, maxOutputTokens: max };
  }

  return { feature, onExceeded: budget.onExceeded, needsPrice, plan };
}

/**
 * What a finished call really consumed on each line, in the lines' order, for `settle`: tokens
 * as input + output, USD at the price of the model that actually answered.
 */
export function settleAmounts(lines: readonly ReserveLine[], usage: PricedUsage, price: ModelPrice | undefined): number[] {
  const tokens = usage.inputTokens + usage.outputTokens;
  let usd: number | undefined;
  return lines.map((line) => {
    if (line.unit === 'tokens') return tokens;
    if (!price) throw new RangeError(`settleAmounts: line "${line.key}" is in USD but no price was given`);
    return (usd ??= costUsd(price, usage));
  });
}
