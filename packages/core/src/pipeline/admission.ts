import { settleAmounts, type BudgetPlan } from '../budgets/plan.js';
import type { BudgetRefusal, BudgetStore, ChargeResult, ReserveGranted, ReserveLine } from '../budgets/store.js';
import type { ModelRef, ResolvedFeature } from '../config/schema.js';
import type { ValidatedRequest } from '../config/request.js';
import { KeelError } from '../errors/keel-error.js';
import { costUsd, roundUsd } from '../pricing/cost.js';
import type { PriceCatalog } from '../pricing/table.js';
import type { Usage } from '../provider/messages.js';
import type { RateLimitStore } from '../rate-limits/store.js';
import { tokenRefund } from '../rate-limits/plan.js';
import { estimateTextTokens } from '../tokens/estimate.js';
import type { TokenCounter } from '../tokens/counter.js';
import type { Clock } from '../util/clock.js';
import { promptBound } from './prompt-bound.js';

export interface AdmissionDeps {
  readonly budgets: BudgetStore;
  readonly rateLimits: RateLimitStore;
  readonly prices: PriceCatalog;
  readonly counter: TokenCounter;
  readonly clock: Clock;
}

/** The tightest budget line after a call, for telemetry and results. */
export interface BudgetRemaining {
  readonly scope: string;
  readonly remaining: number;
  readonly unit: 'tokens' | 'usd';
}

/** A call's budget hold on one candidate: reserved before, settled exactly once after. */
export interface BudgetHold {
  /** The model to call: the candidate, or the cheaper one the budget degraded to. */
  readonly candidate: ModelRef;
  /** Output tokens to ask for: the request's, or fewer when the budget clamped it. */
  readonly maxTokens: number | undefined;
  /** Input tokens the hold was reserved with (Keel's bound, or the exact count near a limit). */
  readonly inputTokens: number;
  /** Answers per call (OpenAI's `n`); `maxTokens` and `charge` count per answer. */
  readonly choices: number;
  /**
   * Streams: records output (per answer) as it arrives; false once the budget has no room for
   * more. Answers at once (no promise) when the store can (`BudgetStore.chargeNow`).
   */
  charge(outputTokens: number): boolean | Promise<boolean>;
  /** Settles the hold from what was served (see {@link Served}). Runs once; later calls no-op. */
  finish(served: Served): Promise<HoldSettled | undefined>;
}

/** What a call got from its provider, as far as Keel knows it when settling. */
export interface Served {
  /** The provider's usage, validated (`readUsage`); undefined when missing or invalid. */
  readonly usage: Usage | undefined;
  /** True when the provider answered in full: a chat response, or a stream that finished. */
  readonly answered: boolean;
  /** The text delivered: without usage, counted exactly for a leg that broke, conservatively otherwise. */
  readonly text: string;
  /**
   * A stream the provider opened: it accepted the request, so without usage its input is
   * charged even when nothing streamed (providers bill an accepted request's input).
   */
  readonly accepted?: boolean | undefined;
  /**
   * The leg broke after it had served text (a cut, a stall, a malformed or error event, a
   * cancelled hedge loser, a consumer that stopped reading): without usage it is charged exactly
   * what it used — its input and the text received, by Keel's own count ({@link countServed}) —
   * instead of the conservative bound.
   */
  readonly broke?: boolean | undefined;
}

/** How a hold was settled. */
export interface HoldSettled {
  readonly remaining: BudgetRemaining | undefined;
  /**
   * Set when the provider served output but reported no usable usage: what Keel charged instead.
   * A leg that broke: its exact count (see {@link Served.broke}); otherwise the reserved input
   * with the hold's grant, or the estimate of the text if more.
   */
  readonly charged?: { readonly inputTokens: number; readonly outputTokens: number } | undefined;
}

/** Keel's own count of what a leg used, and whether it is exact (a local tokenizer) or an estimate. */
export interface ServedCount {
  readonly usage: Usage;
  readonly exact: boolean;
}

/** A call's rate-limit admission, settled once the call ends. */
export interface RateTicket {
  /**
   * `sent: false` (nothing reached the provider: refused by a budget, aborted, an open breaker)
   * gives everything back, the request included. Otherwise the tokens beyond `usedTokens` are
   * given back; `usedTokens: undefined` (served without usage) keeps all that was taken.
   */
  settle(outcome: { readonly sent: boolean; readonly usedTokens: number | undefined }): Promise<void>;
}

/**
 * The largest prompt (by its byte upper bound) Keel counts exactly with tiktoken when the bound
 * is refused. tiktoken runs synchronously (~12 ms per 100 KB, ~1.6 s for 5 MB), so above this
 * the call is decided on the bound alone — conservative, never an overspend — and the event
 * loop is never blocked for more than ~30 ms by a count.
 */
export const EXACT_COUNT_MAX_TOKENS = 256 * 1024;

/** How long a hold outlives its call's deadline before it expires on its own (a vanished caller). */
const HOLD_GRACE_MS = 60_000;

/**
 * Budgets and rate limits, the admission step before a candidate is called. Reservation is
 * one atomic store operation; the cheap byte-count upper bound is used for the input, and the
 * exact (tiktoken) count only when the bound would be refused — so only calls near a limit pay
 * for tokenizing.
 */
export function createAdmission(deps: AdmissionDeps) {
  const { budgets, rateLimits, prices, counter, clock } = deps;

  function price(ref: ModelRef) {
    return prices.priceOf(ref.provider, ref.model);
  }

  /**
   * What a leg that broke without usage used, by Keel's own count: the prompt it sent (chat
   * framing included, plus the uncounted input the drop-ins declare) and the text it served.
   * Exact with tiktoken for models Keel has the tokenizer of, up to {@link EXACT_COUNT_MAX_TOKENS}
   * (a bigger prompt or text would block the event loop); the tokenizer-free estimate otherwise
   * (Claude, llama.cpp: no local tokenizer).
   */
  function countServed(ref: ModelRef, request: Pick<ValidatedRequest, 'messages' | 'uncountedInputTokens'>, text: string): ServedCount {
    const uncounted = request.uncountedInputTokens ?? 0;
    const small = promptBound(request.messages) <= EXACT_COUNT_MAX_TOKENS && counter.upperBoundText(text) <= EXACT_COUNT_MAX_TOKENS;
    const input = small ? counter.exact(ref.model, request.messages) : undefined;
    const output = small ? counter.exactText(ref.model, text) : undefined;
    if (input !== undefined && output !== undefined) return { usage: { inputTokens: input + uncounted, outputTokens: output }, exact: true };
    return { usage: { inputTokens: counter.estimate(request.messages) + uncounted, outputTokens: estimateTextTokens(text) }, exact: false };
  }

  /** Cost of a finished call on the model that answered; undefined when it is unpriced. */
  function cost(ref: ModelRef, usage: Usage | undefined): number | undefined {
    const modelPrice = usage ? price(ref) : undefined;
    return modelPrice && usage ? roundUsd(costUsd(modelPrice, usage)) : undefined;
  }

  async function takeRateLimits(
    feature: ResolvedFeature,
    request: ValidatedRequest,
    deadline: number,
    signal: AbortSignal | undefined,
  ): Promise<RateTicket | undefined> {
    if (!feature.rateLimits) return undefined;
    // A call already aborted sends nothing, so it must not spend the limit.
    if (signal?.aborted) throw new KeelError('aborted', 'The caller aborted the call');
    const tokens =
      promptBound(request.messages) + (request.uncountedInputTokens ?? 0) + (request.choices ?? 1) * (request.maxTokens ?? feature.maxTokens ?? 0);
    const lines = feature.rateLimits.lines({ user: request.user, tenant: request.tenant }, tokens);
    if (lines.length === 0) return undefined;
    for (;;) {
      const taken = await rateLimits.take({ lines, now: clock.now() });
      if (taken.ok) {
        return {
          async settle({ sent, usedTokens }) {
            const refund = !sent ? lines : usedTokens === undefined ? [] : tokenRefund(lines, usedTokens);
            if (refund.length > 0) await rateLimits.refund({ lines: refund, now: clock.now() });
          },
        };
      }
      const wait = taken.retryAfterMs;
      // Wait for room only when it comes before the deadline; otherwise say when it will.
      if (wait === undefined || clock.now() + wait >= deadline) {
        throw new KeelError(
          'rate_limited',
          wait === undefined
            ? `Feature "${feature.name}" rate limit can never admit this call (it asks for more than the limit)`
            : `Feature "${feature.name}" rate limit has no room before the deadline; retry in ${Math.ceil(wait)} ms`,
          { retryable: false, retryAfterMs: wait === undefined ? undefined : Math.ceil(wait) },
        );
      }
      await clock.sleep(Math.ceil(wait), signal);
    }
  }

  async function reserve(
    feature: ResolvedFeature,
    request: ValidatedRequest,
    candidate: ModelRef,
    reservationId: string,
    deadline: number,
  ): Promise<BudgetHold | undefined> {
    const budget = feature.budget;
    if (!budget) return undefined;
    const maxOutputTokens = request.maxTokens ?? feature.maxTokens!;
    const choices = request.choices ?? 1;
    // Images, audio and tool definitions the messages' text does not show (the drop-ins' bound).
    const uncounted = request.uncountedInputTokens ?? 0;
    const ttlMs = Math.max(0, deadline - clock.now()) + HOLD_GRACE_MS;
    let tries = 0;

    const attempt = async (ref: ModelRef, inputTokens: number) => {
      const modelPrice = price(ref);
      if (budget.needsPrice && !modelPrice) {
        throw new KeelError('bad_request', `No price for ${ref.provider}/${ref.model}, which feature "${feature.name}"'s money budget needs`, {
          issues: [`model: ${ref.provider}/${ref.model} is unpriced; add it to createKeel({ pricing })`],
        });
      }
      const plan: BudgetPlan = budget.plan({ user: request.user, tenant: request.tenant, inputTokens, maxOutputTokens, choices, price: modelPrice });
      if (!plan.ok) return { plan, inputTokens, result: undefined };
      const result = await budgets.reserve({
        id: `${reservationId}:${tries++}`,
        lines: plan.lines,
        minOutputTokens: plan.minOutputTokens,
        maxOutputTokens: plan.maxOutputTokens,
        ttlMs,
        now: clock.now(),
      });
      return { plan, inputTokens, result };
    };

    const bound = promptBound(request.messages);
    const tryModel = async (ref: ModelRef) => {
      let outcome = await attempt(ref, bound + uncounted);
      if (!outcome.result?.ok && bound <= EXACT_COUNT_MAX_TOKENS && counter.hasExact(ref.model)) {
        // The cheap bound did not fit; the exact count might. Only for prompts small enough that
        // tiktoken's synchronous pass stays short (see EXACT_COUNT_MAX_TOKENS).
        const exact = counter.exact(ref.model, request.messages);
        if (exact !== undefined && exact < bound) outcome = await attempt(ref, exact + uncounted);
      }
      return outcome;
    };

    let target = candidate;
    let outcome = await tryModel(target);
    const onExceeded = budget.onExceeded;
    if (!outcome.result?.ok && typeof onExceeded === 'object' && 'degrade' in onExceeded) {
      target = { provider: onExceeded.degrade.provider ?? candidate.provider, model: onExceeded.degrade.model };
      outcome = await tryModel(target);
    }
    const { plan, result, inputTokens } = outcome;
    if (!plan.ok) {
      throw new KeelError(
        'budget_exceeded',
        `Call exceeds feature "${feature.name}"'s per-request cap (${plan.limit} ${plan.unit}; needs ${round(plan.needed)})`,
        { provider: target.provider, model: target.model, budget: { scope: 'request', limit: plan.limit, remaining: plan.limit, unit: plan.unit, needed: plan.needed } },
      );
    }
    if (!result?.ok) throw refusalError(feature.name, result!, target);
    return holdFor(target, plan.lines, result, inputTokens, choices, (text) => countServed(target, request, text).usage);
  }

  function refusalError(feature: string, refusal: BudgetRefusal, target: ModelRef): KeelError {
    const now = clock.now();
    const resets = refusal.resetAt === undefined ? '' : `; room frees up at ${new Date(refusal.resetAt).toISOString()}`;
    return new KeelError(
      'budget_exceeded',
      `Budget exceeded for feature "${feature}" (${refusal.scope}, ${refusal.unit}): ${round(refusal.remaining)} of ${refusal.limit} left, ` +
        `this call needs ${round(refusal.needed)}${resets}`,
      {
        provider: target.provider,
        model: target.model,
        retryAfterMs: refusal.resetAt === undefined ? undefined : Math.max(0, refusal.resetAt - now),
        budget: { scope: refusal.scope, limit: refusal.limit, remaining: refusal.remaining, unit: refusal.unit, needed: refusal.needed, resetAt: refusal.resetAt },
      },
    );
  }

  function holdFor(
    candidate: ModelRef,
    lines: readonly ReserveLine[],
    granted: ReserveGranted,
    inputTokens: number,
    choices: number,
    count: (text: string) => Usage,
  ): BudgetHold {
    let done = false;
    // Output the store recorded, per answer.
    let charged = 0;
    const recordCharge = (result: ChargeResult) => {
      if (result.ok || result.reason === 'exhausted') charged = Math.max(charged, result.outputTokens);
      return result.ok;
    };
    return {
      candidate,
      maxTokens: granted.outputTokens,
      inputTokens,
      choices,
      charge(outputTokens) {
        if (done) return true;
        const now = clock.now();
        return budgets.chargeNow ? recordCharge(budgets.chargeNow(granted.id, outputTokens, now)) : budgets.charge(granted.id, outputTokens, now).then(recordCharge);
      },
      async finish({ usage, answered, text, accepted, broke }) {
        if (done) return undefined;
        done = true;
        const now = clock.now();
        let amounts: number[] | undefined;
        // A leg that broke without usage is settled as if the provider had reported Keel's count.
        const counted = !usage && broke && !answered ? count(text) : undefined;
        const settleOn = usage ?? counted;
        if (settleOn) {
          try {
            amounts = settleAmounts(lines, settleOn, price(candidate));
          } catch {
            amounts = undefined; // unpriced: keep what charge recorded rather than guess a cost
          }
          if (amounts) await budgets.settle(granted.id, amounts, now);
          else await budgets.release(granted.id, now);
          const remaining = tightest(lines, granted, amounts);
          return counted ? { remaining, charged: { inputTokens: counted.inputTokens, outputTokens: counted.outputTokens } } : { remaining };
        }
        // No usable usage. Output was served if the provider answered or text arrived: charge
        // the reserved input plus the most output it can have been — the grant (a full answer
        // may have used all of max_tokens), what streaming charged, or the estimate of the text
        // (the same estimate the stream meter uses) when the provider ignored the cap. Output
        // counts per answer here; a line's perOutputToken already covers every answer (`n`).
        const served = estimateTextTokens(text);
        if (!answered && !accepted && served === 0 && charged === 0) {
          await budgets.release(granted.id, now);
          return { remaining: tightest(lines, granted, undefined) };
        }
        const outputTokens = Math.max(answered ? granted.outputTokens : 0, charged, served);
        amounts = lines.map((line) => line.base + line.perOutputToken * outputTokens);
        await budgets.settle(granted.id, amounts, now);
        return { remaining: tightest(lines, granted, amounts), charged: { inputTokens, outputTokens: outputTokens * choices } };
      },
    };
  }

  return { takeRateLimits, reserve, cost, countServed };
}

export type Admission = ReturnType<typeof createAdmission>;

/**
 * Settles a call's budget hold and rate-limit ticket, whatever its outcome. Never throws: a
 * store failure must not turn a served answer into an error — a hold expires by itself and a
 * rate-limit bucket refills by itself. `sent` says whether any attempt reached the provider.
 */
export function settleCall(
  hold: BudgetHold | undefined,
  ticket: RateTicket | undefined,
  served: Served,
  sent: boolean,
): Promise<HoldSettled | undefined> {
  // A call with neither (no budget, no rate limit) has nothing to settle: no async frame for it.
  return hold || ticket ? settleBoth(hold, ticket, served, sent) : NOTHING_TO_SETTLE;
}

const NOTHING_TO_SETTLE: Promise<undefined> = Promise.resolve(undefined);

async function settleBoth(
  hold: BudgetHold | undefined,
  ticket: RateTicket | undefined,
  served: Served,
  sent: boolean,
): Promise<HoldSettled | undefined> {
  let settled: HoldSettled | undefined;
  try {
    settled = await hold?.finish(served);
  } catch {
    // see above
  }
  try {
    const { usage, answered, text, accepted } = served;
    const usedTokens = usage ? usage.inputTokens + usage.outputTokens : answered || accepted || text.length > 0 ? undefined : 0;
    await ticket?.settle({ sent, usedTokens });
  } catch {
    // see above
  }
  return settled;
}

/** What a call that got nothing from its provider settles with. */
export const NOTHING_SERVED: Served = { usage: undefined, answered: false, text: '' };

/** Room left on the tightest line once the hold is replaced by what was really spent. */
function tightest(lines: readonly ReserveLine[], granted: ReserveGranted, amounts: readonly number[] | undefined): BudgetRemaining | undefined {
  let best: BudgetRemaining | undefined;
  let bestShare = Infinity;
  lines.forEach((line, i) => {
    const hold = line.base + line.perOutputToken * granted.outputTokens;
    const after = (granted.remaining[i]?.remaining ?? 0) + hold - (amounts?.[i] ?? hold);
    const share = after / line.limit;
    if (share < bestShare) {
      bestShare = share;
      best = { scope: line.scope, remaining: Math.max(0, after), unit: line.unit };
    }
  });
  return best;
}

function round(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}
