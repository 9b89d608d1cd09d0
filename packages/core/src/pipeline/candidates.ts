import type { ModelRef, ResolvedFeature } from '../config/schema.js';
import { KeelError } from '../errors/keel-error.js';
import type { KeelErrorKind } from '../errors/kinds.js';
import { isTooLateToStart } from '../policies/timeout.js';
import type { CallState } from './context.js';

/** Failures that say "this model is unavailable right now": the next candidate may answer. */
const FALLBACK_KINDS: ReadonlySet<KeelErrorKind> = new Set<KeelErrorKind>([
  'circuit_open',
  'overloaded',
  'server',
  'timeout',
  'connection',
  'rate_limited',
  'not_found',
]);

/** The models to try, in order: the request's model override replaces the primary's model. */
export function candidatesFor(feature: ResolvedFeature, modelOverride: string | undefined): readonly ModelRef[] {
  if (!modelOverride) return feature.models;
  const [primary, ...rest] = feature.models;
  return [{ provider: primary!.provider, model: modelOverride }, ...rest];
}

/**
 * Runs `attempt` for each candidate until one succeeds. It moves on only for failures that
 * another model could fix, never past a caller's abort, and only while at least `floorMs` (the
 * call's minimum time for an attempt) is left: otherwise the call ends with the failure it has.
 */
export async function withFallback<T>(
  candidates: readonly ModelRef[],
  call: CallState,
  deadline: number,
  floorMs: number,
  attempt: (candidate: ModelRef) => Promise<T>,
): Promise<T> {
  let lastError: KeelError | undefined;
  for (const [index, candidate] of candidates.entries()) {
    try {
      return await attempt(candidate);
    } catch (error) {
      if (!KeelError.is(error)) throw error;
      // A candidate that found no time to start sent nothing: the previous failure says more.
      if (lastError && isTooLateToStart(error)) throw lastError;
      lastError = error;
      const next = candidates[index + 1];
      const deadlineLeft = deadline - call.clock.now() >= floorMs;
      const isDeadline = error.kind === 'timeout' && !error.retryable;
      if (!next || !FALLBACK_KINDS.has(error.kind) || !deadlineLeft || isDeadline) throw error;
      call.events.emit({
        type: 'fallback',
        callId: call.id,
        feature: call.feature,
        at: call.clock.now(),
        from: `${candidate.provider}/${candidate.model}`,
        to: `${next.provider}/${next.model}`,
        kind: error.kind,
      });
    }
  }
  throw lastError ?? new KeelError('bad_request', 'Feature has no candidate models');
}
