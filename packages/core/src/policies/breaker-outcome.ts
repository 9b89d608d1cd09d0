import { KeelError } from '../errors/keel-error.js';
import { CALLER_CAUSED_KINDS, type KeelErrorKind } from '../errors/kinds.js';
import { isDeadlineError } from './deadline-mark.js';

/** What one attempt tells its breaker: a provider failure, or nothing about the provider. */
export type FailureVerdict = 'failure' | 'neutral';

/**
 * Kinds that never count toward opening a breaker: the caller or the content caused them
 * (CALLER_CAUSED_KINDS), or, for `rate_limited`, the provider asked for backpressure, which the
 * retry policy honours through `retry-after`; a burst of 429s must not cut off a healthy
 * provider for every other feature.
 */
export const BREAKER_NEUTRAL_KINDS: ReadonlySet<KeelErrorKind> = new Set<KeelErrorKind>([...CALLER_CAUSED_KINDS, 'rate_limited']);

/**
 * Classifies a failed attempt for its breaker. Neutral: the caller aborted (whatever error the
 * abort surfaced as), the call's deadline cut the attempt (the caller's patience, not the
 * provider's health; an attempt or first-token timeout still counts), or a neutral kind.
 * Everything else counts, including errors that are not KeelErrors.
 */
export function classifyFailure(error: unknown, callerSignal: AbortSignal): FailureVerdict {
  if (callerSignal.aborted) return 'neutral';
  if (isDeadlineError(error)) return 'neutral';
  if (KeelError.is(error) && BREAKER_NEUTRAL_KINDS.has(error.kind)) return 'neutral';
  return 'failure';
}
