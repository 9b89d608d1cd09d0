import { KeelError } from '../errors/keel-error.js';
import type { FinishReason, Usage } from '../provider/messages.js';
import type { ProviderStreamPart } from '../provider/provider.js';

import type { Clock, Timer } from '../util/clock.js';
import { rejectIfAborted } from '../policies/timeout.js';
import { callCostUsd, candidateBroke, candidatesOf, chargeCandidate } from './candidate-log.js';
import { PrefixMismatch, type PrefixGate } from './prefix-gate.js';
import type { StreamRecovery } from './stream-recovery.js';
import type { CallState } from './context.js';
import type { ChatResult } from './result.js';
import type { OpenedStream } from './stream-attempt.js';
import type { StreamMeter } from './stream-meter.js';

/** The abort reason for a stream its caller left early; one shared instance, never thrown. */
const STREAM_CLOSED = new KeelError('aborted', 'Stream closed');

/** What a Keel stream yields. */
export type StreamEvent =
  | { readonly type: 'text'; readonly text: string }
  | { readonly type: 'usage'; readonly usage: Usage }
  /** The SDK's own chunk; only when the stream was opened with `includeRaw`. */
  | { readonly type: 'raw'; readonly chunk: unknown }
  /** The last event of a stream that finished properly. */
  | { readonly type: 'finish'; readonly result: ChatResult };

/** A streamed call. Read it once: iterate it, or use one of the helpers. */
export interface KeelStream extends AsyncIterable<StreamEvent> {
  /** Collects the text; rejects with the stream's KeelError. */
  text(): Promise<string>;
  /** Collects the whole result; rejects with the stream's KeelError. */
  result(): Promise<ChatResult>;
  /** The text deltas as a web ReadableStream (e.g. to return from an HTTP handler). */
  toReadableStream(): ReadableStream<string>;
}

export interface PostCommitOptions {
  readonly opened: OpenedStream;
  readonly call: CallState;
  readonly deadline: number;
  readonly idleMs: number;
  readonly includeRaw: boolean;
  /** False: text is accounted but not yielded (a raw-only stream, see StreamOptions.rawOnly). */
  readonly textEvents?: boolean | undefined;
  /** Called once with the outcome, whatever it is, before the caller sees it. */
  readonly onSettled: (outcome: { result?: ChatResult; error?: KeelError; text: string; usage?: Usage }) => Promise<ChatResult['budgetRemaining']>;
  /**
   * Charges each text delta against the call's budget before it is handed out; resolving false
   * means the budget has no room for it, and the stream ends with finish reason
   * `budget_exhausted` without that delta.
   */
  readonly meter?: StreamMeter | undefined;
  /** The cost of the reported usage on the answering model, when it is priced. */
  readonly costOf?: ((usage: Usage | undefined) => number | undefined) | undefined;
  /** The caller's signal, to tell a caller's abort from Keel's own. */
  readonly callerSignal: AbortSignal | undefined;
  /** Mid-stream recovery (`stream-recovery.ts`); absent: a failure after the first token ends the stream. */
  readonly recover?: StreamRecovery | undefined;
}

/**
 * A stream: `commit` opens it up to its first token (retries, fallbacks and hedges there stay
 * invisible), then this reads everything after the commit point. From here a failure is
 * visible: it ends the iteration with
 * a KeelError that carries the partial text, and a stream that stops without a finish is
 * `truncated`, never a short answer passed off as success. A provider silent for longer than
 * `idleMs` (while Keel waits on it) or the call's deadline (consumer time included) aborts the
 * upstream request; so does a caller that stops iterating.
 *
 * With `recover` (mid-stream recovery, `stream-recovery.ts`), a failure after text was sent may
 * instead move the stream to another leg: its text passes through that leg's gate, so the caller
 * sees each character once, in order, and the result is the whole answer.
 */
export async function* readCommitted(commit: () => Promise<PostCommitOptions>): AsyncGenerator<StreamEvent, void, undefined> {
  // Up to the first token, in the same generator: a wrapper generator around this one would
  // cost every part one more promise hop. A failure here is the stream's first rejection; the
  // caller's `commit` has settled and announced it.
  const options = await commit();
  const { call, includeRaw } = options;
  const textEvents = options.textEvents ?? true;
  let opened = options.opened;
  let meter = options.meter;
  let gate: PrefixGate | undefined;
  let watchdog = startWatchdog(call.clock, options.deadline, options.idleMs, opened.scope.controller, opened);
  const firstTokenAt = watchdog.firstTokenAt;
  // One promise that rejects when the stream's signal aborts, raced against every chunk: a
  // provider that ignores its signal still cannot hold the stream past a timeout.
  let nextPart = abortableNext(opened.iterator, opened.scope.signal);
  // What the caller received (every leg), and what the current leg served (its hold settles on it).
  let text = '';
  let legText = '';
  let usage: Usage | undefined;
  let finishReason: FinishReason | undefined;
  let model = opened.model;
  let settled = false;
  let finished = false;
  // The failure the stream was last recovered from: what a diverging restart ends with.
  let brokenBy: KeelError | undefined;
  const translate = (part: ProviderStreamPart): StreamEvent | undefined => {
    switch (part.type) {
      case 'text': {
        if (part.text.length === 0) return undefined;
        legText += part.text;
        const shown = gate ? gate.pass(part.text) : part.text;
        if (shown.length === 0) return undefined;
        text += shown;
        if (!textEvents) return undefined;
        return shown === part.text ? part : { type: 'text', text: shown };
      }
      case 'usage':
        usage = part.usage;
        return part;
      case 'finish':
        finishReason = part.finishReason;
        if (part.model) model = part.model;
        return undefined;
      case 'raw':
        return includeRaw ? { type: 'raw', chunk: part.chunk } : undefined;
    }
  };
  // Charges a text delta to the budget (when there is one) BEFORE it is handed out, so a
  // caller who stops reading has paid for all it got; false once the budget has no room.
  // Only text is metered; everything else, a stream with no meter and a meter that answers at
  // once cost no await.
  const charge = (part: ProviderStreamPart) => (meter && part.type === 'text' && part.text.length > 0 ? meter(part.text) : true);
  try {
    for (;;) {
      try {
        let exhausted = false;
        for (const part of opened.head) {
          const charged = charge(part);
          if (charged !== true && (charged === false || !(await charged))) {
            exhausted = true;
            break;
          }
          const event = translate(part);
          if (event) yield event;
        }
        while (!exhausted) {
          watchdog.awaitingProvider();
          const step = await nextPart();
          watchdog.partArrived();
          if (step.done) break;
          const charged = charge(step.value);
          if (charged !== true && (charged === false || !(await charged))) {
            exhausted = true;
            break;
          }
          const event = translate(step.value);
          if (event) yield event;
        }
        if (exhausted) {
          // The budget ran out mid-stream: stop the upstream request and end cleanly, saying why.
          opened.scope.controller.abort(new KeelError('budget_exceeded', 'Budget exhausted mid-stream'));
          finishReason = 'budget_exhausted';
        } else if (finishReason === undefined) {
          throw new KeelError('truncated', 'Stream ended after its first token without finishing', {
            provider: opened.provider,
            model,
          });
        } else if (gate && !gate.done) {
          // A restart that finished before regenerating what the caller has: nothing to join.
          throw new PrefixMismatch('The regenerated answer is shorter than the text already sent');
        }
        break;
      } catch (thrown) {
        if (thrown instanceof PrefixMismatch || !options.recover) throw thrown;
        const error = brokenError(thrown, opened, options.callerSignal);
        const next = await options.recover({ error, sent: text, legText, usage, opened });
        if (!next) throw thrown;
        brokenBy = error;
        closeLeg(opened, watchdog, false);
        ({ opened, meter, gate } = next);
        watchdog = startWatchdog(call.clock, options.deadline, options.idleMs, opened.scope.controller, opened);
        nextPart = abortableNext(opened.iterator, opened.scope.signal);
        legText = '';
        usage = undefined;
        finishReason = undefined;
        model = opened.model;
      }
    }
    const costUsd = options.costOf?.(usage);
    chargeCandidate(call, costUsd);
    const result: ChatResult = {
      text,
      message: { role: 'assistant', content: text },
      finishReason: finishReason,
      usage: usage ?? { inputTokens: 0, outputTokens: 0 },
      provider: opened.provider,
      model,
      // Every leg's cost when the stream was recovered; the one leg's otherwise.
      costUsd: costUsd === undefined ? undefined : callCostUsd(call),
      attempts: [...call.attempts],
      candidates: candidatesOf(call),
      latencyMs: call.clock.now() - call.startedAt,
      ttftMs: firstTokenAt - call.startedAt,
    };
    settled = true;
    finished = true;
    const budgetRemaining = await options.onSettled({ result, text: legText, usage });
    yield { type: 'finish', result: budgetRemaining ? { ...result, budgetRemaining } : result };
  } catch (thrown) {
    const error = committedError(thrown, options, opened, text, model, brokenBy);
    settled = true;
    await options.onSettled({ error, text: legText, usage });
    throw error;
  } finally {
    if (!settled) {
      // The caller stopped iterating early.
      await options.onSettled({ error: new KeelError('aborted', 'Stream consumer stopped reading'), text: legText, usage });
    }
    closeLeg(opened, watchdog, finished);
  }
}

/** Stops a leg: its timer, and its upstream request unless it was read to its end. */
function closeLeg(opened: OpenedStream, watchdog: Watchdog, finished: boolean): void {
  watchdog.stop();
  if (!finished && !opened.scope.signal.aborted) opened.scope.controller.abort(STREAM_CLOSED);
  opened.scope.release();
  opened.iterator.return?.().catch(() => undefined);
}

/** The KeelError a leg failed with: the abort reason Keel gave it (a timeout), else what was thrown. */
function brokenError(thrown: unknown, opened: OpenedStream, callerSignal: AbortSignal | undefined): KeelError {
  if (callerSignal?.aborted) return new KeelError('aborted', 'The caller aborted the stream');
  const reason: unknown = opened.scope.signal.aborted ? opened.scope.signal.reason : undefined;
  const chosen = KeelError.is(reason) ? reason : thrown;
  return KeelError.is(chosen) ? chosen : new KeelError('truncated', 'Stream failed after its first token', { cause: chosen });
}

function committedError(thrown: unknown, options: PostCommitOptions, opened: OpenedStream, text: string, model: string, brokenBy: KeelError | undefined): KeelError {
  // A restart that diverged ends with the failure that broke the stream, as without recovery.
  const error = thrown instanceof PrefixMismatch && brokenBy ? brokenBy : brokenError(thrown, opened, options.callerSignal);
  candidateBroke(options.call, error.kind);
  return error.with({
    retryable: false,
    provider: error.provider ?? opened.provider,
    model: error.model ?? model,
    partialText: text,
    attempts: [...options.call.attempts],
    candidates: candidatesOf(options.call),
  });
}

interface Watchdog {
  readonly firstTokenAt: number;
  /** Keel is about to wait on the provider's next part: provider silence counts from now. */
  awaitingProvider(): void;
  /** The provider answered; until the next wait, time is the consumer's (or Keel's) and not idle. */
  partArrived(): void;
  stop(): void;
}

/**
 * One timer for both the idle timeout and the deadline.
 *  - Idle is provider silence: it counts only while Keel waits on the provider's `next()`. Time
 *    the consumer spends holding a part (and Keel's own budget metering) never counts.
 *  - The deadline is the caller's total budget: it counts everything, the consumer included.
 * Waits only stamp a time; the timer re-arms itself when it fires early (every `idleMs` at
 * most while nobody waits on the provider), so a fast stream costs no timer work per part.
 * The timer is never due later than `waitingSince + idleMs`, since it is always armed at most
 * `idleMs` ahead and a wait starts no earlier than the moment it was armed.
 */
function startWatchdog(clock: Clock, deadline: number, idleMs: number, controller: AbortController, opened: OpenedStream): Watchdog {
  const firstTokenAt = clock.now();
  let waitingSince: number | undefined;
  let timer: Timer | undefined;
  const arm = () => {
    const now = clock.now();
    if (now >= deadline) {
      controller.abort(new KeelError('timeout', 'Call deadline exceeded while streaming', { retryable: false, provider: opened.provider, model: opened.model }));
      return;
    }
    if (waitingSince !== undefined && now - waitingSince >= idleMs) {
      controller.abort(new KeelError('timeout', `Stream idle: the provider sent nothing for ${idleMs} ms`, { provider: opened.provider, model: opened.model }));
      return;
    }
    timer = clock.setTimer(arm, Math.min((waitingSince ?? now) + idleMs, deadline) - now);
  };
  arm();
  return {
    firstTokenAt,
    awaitingProvider() {
      waitingSince = clock.now();
    },
    partArrived() {
      waitingSince = undefined;
    },
    stop() {
      timer?.clear();
    },
  };
}

/**
 * `iterator.next()`, rejected with the signal's reason as soon as it aborts. One abort listener
 * for the whole stream and one pending slot: `Promise.race` against a long-lived abort promise
 * would add a reaction to it on every chunk, held until the stream ends.
 */
function abortableNext<T>(iterator: AsyncIterator<T>, signal: AbortSignal): () => Promise<IteratorResult<T>> {
  let wake: ((reason: unknown) => void) | undefined;
  signal.addEventListener('abort', () => wake?.(signal.reason), { once: true });
  return () => {
    const work = iterator.next();
    return (
      rejectIfAborted(work, signal) ??
      new Promise<IteratorResult<T>>((resolve, reject) => {
        wake = reject;
        work.then(resolve, reject);
      })
    );
  };
}
