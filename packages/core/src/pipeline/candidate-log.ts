import type { CandidateRecord } from '../errors/keel-error.js';
import type { KeelErrorKind } from '../errors/kinds.js';
import { roundUsd } from '../pricing/cost.js';
import type { CallState } from './context.js';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** A candidate being tried: its record, and where its attempts start in the call's attempt log. */
export interface CandidateLogEntry {
  readonly record: Mutable<CandidateRecord>;
  readonly firstAttempt: number;
  /** One of a hedged pair: its attempts interleave with the other's, so they are told apart by model. */
  hedged?: boolean;
}

type Entry = CandidateLogEntry;

/** Opens the record of a candidate about to be tried (outcome `answered` until it is left). */
export function candidateStarted(call: CallState, ref: { readonly provider: string; readonly model: string }, hedged = false): CandidateHandle {
  const entry: Entry = { record: { provider: ref.provider, model: ref.model, outcome: 'answered', attempts: 0, costUsd: 0 }, firstAttempt: call.attempts.length, hedged };
  call.candidateLog.push(entry);
  return entry;
}

/** A candidate not sent at all (its window cannot hold the prompt). */
export function candidateSkipped(call: CallState, ref: { readonly provider: string; readonly model: string }, kind: KeelErrorKind): void {
  call.candidateLog.push({ record: { provider: ref.provider, model: ref.model, outcome: 'skipped', kind, attempts: 0, costUsd: 0 }, firstAttempt: call.attempts.length });
}

/** Forgets the last candidate opened: it found no time to start, so nothing was sent to it. */
export function candidateNotStarted(call: CallState): void {
  call.candidateLog.pop();
}

/** The candidate tried last (skipped ones and hedge losers aside). */
function currentEntry(call: CallState): Entry | undefined {
  return call.candidateLog.findLast((entry) => entry.record.outcome !== 'skipped' && entry.record.outcome !== 'hedge_lost');
}

/** The current candidate was left: for the next one, or the call ended with its error. */
export function candidateLeft(call: CallState, outcome: CandidateRecord['outcome'], kind: KeelErrorKind): void {
  const current = currentEntry(call);
  if (!current) return;
  current.record.outcome = outcome;
  current.record.kind = kind;
}

/** A handle on the candidate being read now, to mark it after others were opened. */
export type CandidateHandle = object;

export function currentCandidate(call: CallState): CandidateHandle | undefined {
  return currentEntry(call);
}

/** Marks a candidate found by {@link currentCandidate}. */
export function markCandidate(handle: CandidateHandle | undefined, outcome: CandidateRecord['outcome'], kind: KeelErrorKind | undefined): void {
  const entry = handle as Entry | undefined;
  if (!entry) return;
  entry.record.outcome = outcome;
  entry.record.kind = kind;
}

/** A stream broke after its first token: marks the candidate being read, unless recovery already marked it. */
export function candidateBroke(call: CallState, kind: KeelErrorKind): void {
  const current = currentEntry(call);
  if (current?.record.outcome === 'answered') markCandidate(current, 'failed', kind);
}

/** What the call cost over every candidate, in USD; `undefined` when any part is unpriced. */
export function callCostUsd(call: CallState): number | undefined {
  let total = 0;
  for (const entry of call.candidateLog) {
    if (entry.record.costUsd === undefined) return undefined;
    total += entry.record.costUsd;
  }
  return roundUsd(total);
}

/** Adds what one of the current candidate's attempts was charged; `undefined`: unpriced. */
export function chargeCandidate(call: CallState, costUsd: number | undefined, handle?: CandidateHandle): void {
  const current = (handle as Entry | undefined) ?? currentEntry(call);
  if (!current) return;
  current.record.costUsd = costUsd === undefined || current.record.costUsd === undefined ? undefined : roundUsd(current.record.costUsd + costUsd);
}

/** The call's candidate records so far, attempts counted from the attempt log. */
export function candidatesOf(call: CallState): readonly CandidateRecord[] {
  const list = call.candidateLog;
  if (list.length === 0) return [];
  return list.map((entry, i) => {
    if (entry.record.outcome === 'skipped') return { ...entry.record };
    if (entry.hedged) return { ...entry.record, attempts: countUntilNextOf(list, i, call) };
    const end = list[i + 1]?.firstAttempt ?? call.attempts.length;
    return { ...entry.record, attempts: end - entry.firstAttempt };
  });
}

/** A hedged entry's attempts end where the next entry of the same model (a recovery leg) starts. */
function countUntilNextOf(list: readonly Entry[], index: number, call: CallState): number {
  const { provider, model } = list[index]!.record;
  const later = list.slice(index + 1).find((entry) => entry.record.provider === provider && entry.record.model === model);
  const end = later?.firstAttempt ?? call.attempts.length;
  return call.attempts.slice(list[index]!.firstAttempt, end).filter((a) => a.provider === provider && a.model === model).length;
}
