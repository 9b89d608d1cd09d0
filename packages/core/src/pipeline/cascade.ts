import type { ModelRef } from '../config/schema.js';
import { KeelError } from '../errors/keel-error.js';
import type { KeelErrorKind } from '../errors/kinds.js';

/** Why a step was left for the next one. `error` carries the failure's kind in `errorKind`. */
export type EscalationReason = 'schema' | 'empty' | 'refusal' | 'truncated' | 'predicate' | 'confidence' | 'error';

/** One step of a cascade, as the result reports it. */
export interface CascadeStepReport {
  readonly provider: string;
  readonly model: string;
  /** `accepted`: this step answered. `escalated`: left for the next step. `budget`: the budget could not afford it, nothing was sent. */
  readonly outcome: 'accepted' | 'escalated' | 'budget';
  readonly reason?: EscalationReason | undefined;
  /** For `error`: the KeelError kind the step ended with. */
  readonly errorKind?: KeelErrorKind | undefined;
  /** The gate's issues (zod paths and rules, never values). */
  readonly issues?: readonly string[] | undefined;
  /** Calls the step made (a repair is a second call). */
  readonly calls: number;
  /** What the step cost in US dollars; undefined when unpriced. */
  readonly costUsd: number | undefined;
}

/** What one step came to, as the step runner reports it to the cascade. */
export type StepOutcome<T> =
  | { readonly accepted: true; readonly answer: T; readonly report: CascadeStepReport }
  | {
      readonly accepted: false;
      readonly report: CascadeStepReport;
      /** An answer still worth returning if nothing better can be afforded (schema-valid). */
      readonly fallbackAnswer?: T | undefined;
      /** The error the call ends with if this was the last step. */
      readonly error: KeelError;
    };

export interface CascadeOutcome<T> {
  readonly answer: T;
  readonly steps: readonly CascadeStepReport[];
  /** True when a later step was not tried because the budget could not afford it. */
  readonly budgetLimited: boolean;
}

/**
 * Failures of a step that a stronger model may not share: the provider's own unavailability
 * (what fallback moves on for), a refusal, a cut. The step's pipeline already retried and
 * failed over; the cascade then tries the next step.
 */
const ESCALATE_ON_ERROR: ReadonlySet<KeelErrorKind> = new Set<KeelErrorKind>([
  'circuit_open',
  'overloaded',
  'server',
  'timeout',
  'connection',
  'rate_limited',
  'not_found',
  'refusal',
  'truncated',
  'content_filter',
]);

/**
 * Runs the steps cheap → strong until one passes its gate. A step the budget cannot afford
 * (`budget_exceeded`, raised before anything is sent) ends the cascade: the best schema-valid
 * answer so far is returned, marked `budgetLimited`; without one, the last gate failure is
 * thrown. Errors that another model could not fix (auth, bad request, abort) end it at once.
 */
export async function runCascade<T>(
  steps: readonly (ModelRef | undefined)[],
  runStep: (step: ModelRef | undefined, index: number) => Promise<StepOutcome<T>>,
): Promise<CascadeOutcome<T>> {
  const reports: CascadeStepReport[] = [];
  let best: T | undefined;
  let hasBest = false;
  let lastError: KeelError | undefined;
  for (const [index, step] of steps.entries()) {
    let outcome: StepOutcome<T>;
    try {
      outcome = await runStep(step, index);
    } catch (error) {
      if (!KeelError.is(error)) throw error;
      const ref = { provider: error.provider ?? step?.provider ?? 'unknown', model: error.model ?? step?.model ?? 'unknown' };
      if (error.kind === 'budget_exceeded' && index > 0) {
        reports.push({ ...ref, ...step, outcome: 'budget', calls: 0, costUsd: undefined });
        if (hasBest) return { answer: best as T, steps: reports, budgetLimited: true };
        throw (lastError ?? error).with({ budget: error.budget });
      }
      const last = index === steps.length - 1;
      if (last || !ESCALATE_ON_ERROR.has(error.kind)) throw error;
      const reason: EscalationReason = error.kind === 'refusal' || error.kind === 'truncated' ? error.kind : 'error';
      reports.push({ ...ref, ...step, outcome: 'escalated', reason, errorKind: error.kind, calls: 1, costUsd: undefined });
      lastError = error;
      continue;
    }
    if (outcome.accepted) {
      reports.push(outcome.report);
      return { answer: outcome.answer, steps: reports, budgetLimited: false };
    }
    reports.push(outcome.report);
    if (outcome.fallbackAnswer !== undefined) {
      best = outcome.fallbackAnswer;
      hasBest = true;
    }
    lastError = outcome.error;
  }
  throw lastError ?? new KeelError('bad_request', 'The cascade has no steps');
}
