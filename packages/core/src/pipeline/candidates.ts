import type { ValidatedRequest } from '../config/request.js';
import type { ModelRef, ResolvedFeature } from '../config/schema.js';
import { KeelError } from '../errors/keel-error.js';
import { contextWindowOf } from '../models/context-windows.js';
import { isTooLateToStart } from '../policies/timeout.js';
import { candidateLeft, candidateNotStarted, candidateSkipped, candidateStarted, chargeCandidate, markCandidate, type CandidateHandle } from './candidate-log.js';
import { fitsContextWindow } from './context-window.js';
import type { CallState } from './context.js';
import { raceHedged } from './hedge.js';
import { trimOldest } from './trim.js';
import { modelRefName } from '../models/ref-name.js';

/** The models to try, in order: the request's model override replaces the primary's model. */
export function candidatesFor(feature: ResolvedFeature, modelOverride: string | undefined): readonly ModelRef[] {
  if (!modelOverride) return feature.models;
  const [primary, ...rest] = feature.models;
  return [{ provider: primary!.provider, model: modelOverride }, ...rest];
}

/** What `withFallback` needs to know of a call: its candidates, its feature's actions, the request. */
export interface FallbackPlan {
  readonly feature: ResolvedFeature;
  readonly request: ValidatedRequest;
  readonly candidates: readonly ModelRef[];
  /** Set on the retry with the oldest turns dropped (`failover.contextOverflow: 'trim-oldest'`). */
  readonly trimmed?: boolean | undefined;
}

export function fallbackPlan(feature: ResolvedFeature, request: ValidatedRequest): FallbackPlan {
  return { feature, request, candidates: candidatesFor(feature, request.model) };
}

/** Hedging for one call (`failover.hedge`): how long before the backup, and how to release a loser. */
export interface FallbackHedge<T> {
  readonly delayMs: number;
  readonly callerSignal: AbortSignal | undefined;
  /** Takes one hedge from the feature's hedge budget. */
  mayHedge(): boolean;
  /** A backup (or primary) that succeeded after the other had won: release it; resolves its cost in USD. */
  dispose(value: T): number | undefined;
}

/**
 * Runs `attempt` for each candidate until one succeeds. After a failure it moves on when the
 * feature's action for that kind is `retry` (the retries are spent) or `failover`, never past a
 * `fail`, a caller's abort or the deadline, and only while at least `floorMs` (the call's minimum
 * time for an attempt) is left: otherwise the call ends with the failure it has.
 *
 * Context windows: a candidate the prompt is known not to fit (see `fitsContextWindow`) is
 * skipped without sending; after a `context_length` only candidates with a larger known window
 * are tried; with none left the call ends with a `context_length` error saying so.
 *
 * With `hedge`, the first candidate races a backup on the second once `hedge.delayMs` passes
 * without a result — a stream's first token, a chat's response (see hedge.ts); when both fail,
 * the fallback goes on from the third.
 */
export async function withFallback<T>(
  plan: FallbackPlan,
  call: CallState,
  deadline: number,
  floorMs: number,
  attempt: (candidate: ModelRef, signal: AbortSignal | undefined, request: ValidatedRequest) => Promise<T>,
  hedge?: FallbackHedge<T>,
): Promise<T> {
  const { candidates, feature, request } = plan;
  const actions = feature.failover.actions;
  let lastError: KeelError | undefined;
  // The candidate that failed last (and has not been announced as left yet).
  let tried: ModelRef | undefined;
  let last: ModelRef | undefined;
  // After a context_length: the largest window known too small; only a larger one may answer.
  let tooSmall: number | undefined;
  // A candidate already tried as a hedge backup is not tried again.
  let skipIndex = -1;
  for (let index = 0; index < candidates.length; index++) {
    if (index === skipIndex) continue;
    const candidate = candidates[index]!;
    call.candidatesLeft = candidates.length - index - 1;
    const window = contextWindowOf(candidate);
    if ((tooSmall !== undefined && (window === undefined || window <= tooSmall)) || !fitsContextWindow(feature, request, candidate)) {
      tooSmall = Math.max(tooSmall ?? 0, window ?? 0);
      candidateSkipped(call, candidate, 'context_length');
      lastError ??= new KeelError('context_length', `The prompt does not fit the context window of ${modelRefName(candidate)}`, {
        retryable: false,
        provider: candidate.provider,
        model: candidate.model,
      });
      continue;
    }
    if (tried && lastError) announceFallback(call, tried, candidate, lastError);
    tried = undefined;
    const backup = hedge && index === 0 ? candidates[1] : undefined;
    const race = { backupSent: false };
    try {
      if (hedge && backup && fitsContextWindow(feature, request, backup)) {
        return await hedged(call, candidate, backup, (ref, signal) => attempt(ref, signal, request), hedge, race);
      }
      candidateStarted(call, candidate);
      return await attempt(candidate, undefined, request);
    } catch (error) {
      if (!KeelError.is(error)) throw error;
      // A candidate that found no time to start sent nothing: the previous failure says more.
      if (lastError && isTooLateToStart(error)) {
        candidateNotStarted(call);
        candidateLeft(call, 'failed', lastError.kind);
        throw lastError;
      }
      lastError = error;
      // Both sides of a hedge failed: the backup was the second candidate, so the third is next.
      if (race.backupSent) skipIndex = 1;
      tried = race.backupSent ? backup : candidate;
      last = tried;
      const deadlineLeft = deadline - call.clock.now() >= floorMs;
      const isDeadline = error.kind === 'timeout' && !error.retryable;
      const stop = actions[error.kind] === 'fail' || !deadlineLeft || isDeadline;
      candidateLeft(call, stop ? 'failed' : 'failed_over', error.kind);
      if (stop) throw error;
      if (error.kind === 'context_length') tooSmall = Math.max(tooSmall ?? 0, window ?? 0);
    }
  }
  if (lastError?.kind === 'context_length' && feature.failover.contextOverflow === 'trim-oldest' && !plan.trimmed) {
    // No window holds the whole conversation: drop its oldest turns to fit the largest one.
    const largest = [...candidates].sort((a, b) => (contextWindowOf(b) ?? 0) - (contextWindowOf(a) ?? 0))[0];
    const trimmed = largest && contextWindowOf(largest) !== undefined ? trimOldest(feature, request, largest) : undefined;
    if (largest && trimmed) {
      if (last) candidateLeft(call, 'failed_over', lastError.kind);
      return withFallback({ ...plan, request: trimmed, candidates: [largest], trimmed: true }, call, deadline, floorMs, attempt);
    }
  }
  // No candidate was left to fall over to: the last one tried is where the call failed.
  if (last && lastError) candidateLeft(call, 'failed', lastError.kind);
  // With one candidate and a provider's own context_length, its message says it best.
  if (lastError?.kind === 'context_length' && (!last || candidates.length > 1)) {
    throw lastError.with({
      message: last
        ? `The prompt does not fit ${modelRefName(last)}, and no candidate has a larger context window that fits it`
        : 'The prompt does not fit the context window of any candidate',
    });
  }
  throw lastError ?? new KeelError('bad_request', 'Feature has no candidate models');
}

/** The first candidate raced against a backup on the second; the loser is cancelled and marked `hedge_lost`. */
async function hedged<T>(
  call: CallState,
  primary: ModelRef,
  backup: ModelRef,
  attempt: (candidate: ModelRef, signal: AbortSignal) => Promise<T>,
  hedge: FallbackHedge<T>,
  state: { backupSent: boolean },
): Promise<T> {
  const handles: Partial<Record<'primary' | 'backup', CandidateHandle>> = {};
  const outcome = await raceHedged<T>({
    clock: call.clock,
    delayMs: hedge.delayMs,
    callerSignal: hedge.callerSignal,
    mayHedge: () => hedge.mayHedge(),
    // A loser that answered anyway was charged for it: on its own record, not the winner's.
    dispose: (value, side) => chargeCandidate(call, hedge.dispose(value), handles[side]),
    start: (side, signal) => {
      const ref = side === 'primary' ? primary : backup;
      handles[side] = candidateStarted(call, ref, true);
      if (side === 'backup') announceHedge(call, 'hedge.started', primary, backup);
      return attempt(ref, signal);
    },
  });
  if (outcome.ok) {
    if (outcome.backupSent) {
      markCandidate(handles[outcome.winner === 'primary' ? 'backup' : 'primary'], 'hedge_lost', undefined);
      announceHedge(call, 'hedge.won', primary, backup, outcome.winner);
    }
    return outcome.value;
  }
  const error = outcome.error;
  // Both sides failed (or the primary did before the backup was due): the primary was left for
  // the backup or the next candidate; the later failure decides what follows.
  state.backupSent = outcome.backupSent;
  if (outcome.backupSent && KeelError.is(error)) markCandidate(handles.primary, 'failed_over', error.kind);
  throw error;
}

function announceHedge(call: CallState, type: 'hedge.started' | 'hedge.won', primary: ModelRef, backup: ModelRef, winner?: 'primary' | 'backup'): void {
  if (!call.events.active) return;
  const base = { callId: call.id, feature: call.feature, at: call.clock.now(), primary: refOf(primary), backup: refOf(backup) };
  call.events.emit(type === 'hedge.won' ? { type, ...base, winner: winner ?? 'primary' } : { type, ...base });
}

const refOf = (ref: ModelRef) => ({ provider: ref.provider, model: ref.model });

function announceFallback(call: CallState, from: ModelRef, to: ModelRef, error: KeelError): void {
  call.events.emit({ type: 'fallback', callId: call.id, feature: call.feature, at: call.clock.now(), from: modelRefName(from), to: modelRefName(to), kind: error.kind });
}
