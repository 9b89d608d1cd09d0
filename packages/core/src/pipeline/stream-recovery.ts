import type { ValidatedRequest } from '../config/request.js';
import type { ModelRef, ResolvedFeature } from '../config/schema.js';
import { KeelError } from '../errors/keel-error.js';
import type { KeelErrorKind } from '../errors/kinds.js';
import { acceptsPrefill } from '../models/prefill.js';
import type { Usage } from '../provider/messages.js';
import { isDeadlineError } from '../policies/deadline-mark.js';
import { chargeCandidate, currentCandidate, markCandidate } from './candidate-log.js';
import type { FallbackPlan } from './candidates.js';
import type { CallState } from './context.js';
import { continuationGate, restartGate, type PrefixGate } from './prefix-gate.js';
import type { OpenedStream } from './stream-attempt.js';
import type { StreamMeter } from './stream-meter.js';

/** A stream leg that failed after the caller received text. */
export interface BrokenLeg {
  readonly error: KeelError;
  /** Everything the caller has received so far, over every leg. */
  readonly sent: string;
  /** The text this leg served (suppressed text included): what its hold settles on. */
  readonly legText: string;
  readonly usage: Usage | undefined;
  readonly opened: OpenedStream;
}

/** The leg a stream continues on, and the gate its text passes through. */
export interface RecoveredLeg {
  readonly opened: OpenedStream;
  readonly meter?: StreamMeter | undefined;
  readonly gate: PrefixGate;
}

export type StreamRecovery = (broken: BrokenLeg) => Promise<RecoveredLeg | undefined>;

export interface StreamRecoveryDeps {
  readonly feature: ResolvedFeature;
  readonly request: ValidatedRequest;
  readonly call: CallState;
  readonly candidates: readonly ModelRef[];
  readonly callerSignal: AbortSignal | undefined;
  /** Settles the broken leg's budget hold with what it served; resolves its cost in USD. */
  settleBroken(broken: BrokenLeg): Promise<number | undefined>;
  /** Opens one leg (admission, budget, the attempt chain) up to its first token. */
  open(plan: FallbackPlan): Promise<{ readonly opened: OpenedStream; readonly meter?: StreamMeter | undefined }>;
}

/**
 * Failures after the first token that another leg may repair: a cut (`connection`), a stall
 * (the idle `timeout`), a malformed or error event (`server`, `overloaded`) and a stream that
 * just stopped (`truncated`). Never the caller's abort, the call's deadline or the budget.
 */
const RECOVERABLE: ReadonlySet<KeelErrorKind> = new Set<KeelErrorKind>(['connection', 'timeout', 'server', 'overloaded', 'truncated']);

type Mode = 'continue' | 'restart';

/**
 * Mid-stream recovery, per feature (`failover.midStream`): after a recoverable failure once the
 * caller received text, the stream goes on from another leg on the same or the next candidate —
 * the feature's action for the kind decides which is tried first (`failover`: the next one;
 * `retry`: the same one; `fail`: no recovery). On each candidate, a continuation when it accepts
 * a prefill (the text so far sent as a trailing assistant message, without its trailing
 * whitespace), else (or when the continuation is refused) a restart whose regenerated prefix must
 * equal the text sent, which is then suppressed. The broken leg is settled with what it served
 * before the next leg reserves its own budget hold. `undefined` when recovery is off.
 */
export function createStreamRecovery(deps: StreamRecoveryDeps): StreamRecovery | undefined {
  const { feature, call } = deps;
  const { midStream, maxRecoveries, actions } = feature.failover;
  if (midStream === 'off' || maxRecoveries === 0) return undefined;
  let recoveries = 0;

  function modesFor(candidate: ModelRef, sent: string): Mode[] {
    const canContinue = midStream !== 'restart' && acceptsPrefill(candidate) && sent.trim().length > 0;
    const modes: Mode[] = canContinue ? ['continue'] : [];
    if (midStream === 'restart' || midStream === 'auto') modes.push('restart');
    return modes;
  }

  /** The candidates to try, in order: the broken one first for `retry` kinds, last for `failover`. */
  function order(broken: BrokenLeg): ModelRef[] {
    const index = Math.max(0, deps.candidates.findIndex((c) => c.provider === broken.opened.provider && c.model === broken.opened.model));
    const current = deps.candidates[index] ?? { provider: broken.opened.provider, model: broken.opened.model };
    const rest = deps.candidates.slice(index + 1);
    return actions[broken.error.kind] === 'failover' ? [...rest, current] : [current, ...rest];
  }

  return async (broken) => {
    const { error } = broken;
    if (recoveries >= maxRecoveries || deps.callerSignal?.aborted) return undefined;
    if (!RECOVERABLE.has(error.kind) || isDeadlineError(error) || actions[error.kind] === 'fail') return undefined;
    if (error.kind === 'timeout' && !error.retryable) return undefined;
    const tries = order(broken).flatMap((candidate) => modesFor(candidate, broken.sent).map((mode) => ({ candidate, mode })));
    if (tries.length === 0) return undefined;
    recoveries++;
    const handle = currentCandidate(call);
    markCandidate(handle, 'recovered', error.kind);
    chargeCandidate(call, await deps.settleBroken(broken), handle);
    let refused: ModelRef | undefined;
    for (const { candidate, mode } of tries) {
      // After a failure other than a refused continuation, this candidate's other mode is skipped.
      if (refused === candidate) continue;
      const { messages, gate } = mode === 'continue' ? continuation(deps.request, broken.sent) : { messages: deps.request.messages, gate: restartGate(broken.sent) };
      try {
        const leg = await deps.open({ feature, request: { ...deps.request, messages }, candidates: [candidate] });
        announceRecovered(call, broken, leg.opened, mode);
        return { ...leg, gate };
      } catch (thrown) {
        if (!KeelError.is(thrown) || deps.callerSignal?.aborted || isDeadlineError(thrown)) break;
        // A refused continuation (a model that takes no prefill) may still restart; other
        // failures move to the next candidate.
        if (!(mode === 'continue' && thrown.kind === 'bad_request')) refused = candidate;
      }
    }
    markCandidate(handle, 'failed', error.kind);
    return undefined;
  };
}

function announceRecovered(call: CallState, broken: BrokenLeg, to: OpenedStream, mode: Mode): void {
  if (!call.events.active) return;
  call.events.emit({
    type: 'stream.recovered',
    callId: call.id,
    feature: call.feature,
    at: call.clock.now(),
    from: { provider: broken.opened.provider, model: broken.opened.model },
    to: { provider: to.provider, model: to.model },
    mode,
    kind: broken.error.kind,
    textChars: broken.sent.length,
  });
}

/** The request that continues `sent`: a trailing assistant message (the caller's own prefill extended). */
function continuation(request: ValidatedRequest, sent: string): { messages: ValidatedRequest['messages']; gate: PrefixGate } {
  const messages = request.messages;
  const last = messages[messages.length - 1];
  const prefill = last?.role === 'assistant' ? last.content + sent : sent;
  const kept = prefill.trimEnd();
  const base = last?.role === 'assistant' ? messages.slice(0, -1) : messages;
  return { messages: [...base, { role: 'assistant', content: kept }], gate: continuationGate(prefill.slice(kept.length)) };
}
