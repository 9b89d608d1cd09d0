import { KeelError } from '../errors/keel-error.js';
import type { FinishReason, Usage } from '../provider/messages.js';
import type { ProviderStreamPart } from '../provider/provider.js';
import { callCostUsd, candidateBroke, candidatesOf, chargeCandidate } from './candidate-log.js';
import type { CallState } from './context.js';
import { PrefixMismatch, type PrefixGate } from './prefix-gate.js';
import type { ChatResult } from './result.js';
import type { OpenedStream } from './stream-attempt.js';
import type { StreamMeter } from './stream-meter.js';
import type { StreamRecovery } from './stream-recovery.js';
import type { StreamEvent } from './stream.js';
import { startWatchdog, type Watchdog } from './stream-watchdog.js';

/** The abort reason for a stream its caller left early; one shared instance, never thrown. */
const STREAM_CLOSED = new KeelError('aborted', 'Stream closed');

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
 * visible: it ends the iteration with a KeelError that carries the partial text, and a stream
 * that stops without a finish is `truncated`, never a short answer passed off as success. A
 * provider silent for longer than `idleMs` (while Keel waits on it) or the call's deadline
 * (consumer time included) aborts the upstream request; so does a caller that stops iterating.
 *
 * With `recover` (mid-stream recovery, `stream-recovery.ts`), a failure after text was sent may
 * instead move the stream to another leg: its text passes through that leg's gate, so the caller
 * sees each character once, in order, and the result is the whole answer.
 */
export function readCommitted(commit: () => Promise<PostCommitOptions>): AsyncGenerator<StreamEvent, void, undefined> {
  return new CommittedStream(commit);
}

const DONE: IteratorReturnResult<void> = { done: true, value: undefined };

/** The caller's part of a stream's life: before the first read, reading, after the finish event, ended. */
type Phase = 'start' | 'reading' | 'finished' | 'done';

/**
 * readCommitted's iterator, written by hand rather than as an async generator: a generator
 * costs every part an await and a yield on top of the wait for the provider, and this path
 * runs once per chunk of every stream. It keeps a generator's contract: `next`, `return` and
 * `throw` run one at a time in call order, `return` settles a stream left early, and a failed
 * or finished stream answers `done` from then on.
 */
class CommittedStream implements AsyncGenerator<StreamEvent, void, undefined> {
  #commit: (() => Promise<PostCommitOptions>) | undefined;
  #phase: Phase = 'start';
  // Operations started and not yet finished; a second one waits for `#last`.
  #pending = 0;
  #last: Promise<unknown> | undefined;

  // Set by #start, once the stream is committed.
  #options!: PostCommitOptions;
  #opened!: OpenedStream;
  #watchdog!: Watchdog;
  #firstTokenAt = 0;
  #meter: StreamMeter | undefined;
  #gate: PrefixGate | undefined;
  // How many of the leg's head parts (read before the commit point) were handed on.
  #headRead = 0;
  // What the caller received (every leg), and what the current leg served (its hold settles on it).
  #text = '';
  #legText = '';
  #usage: Usage | undefined;
  #finishReason: FinishReason | undefined;
  #model = '';
  #finished = false;
  // The failure the stream was last recovered from: what a diverging restart ends with.
  #brokenBy: KeelError | undefined;
  // An event the last part produced after the one returned (a text part's chunk): the next read's.
  #nextEvent: StreamEvent | undefined;

  constructor(commit: () => Promise<PostCommitOptions>) {
    this.#commit = commit;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.return();
  }

  next(): Promise<IteratorResult<StreamEvent, void>> {
    return this.#run(() => this.#read());
  }

  return(): Promise<IteratorResult<StreamEvent, void>> {
    return this.#run(() => this.#leave());
  }

  throw(error: unknown): Promise<IteratorResult<StreamEvent, void>> {
    return this.#run(() => this.#inject(error));
  }

  /** Runs `operation` now, or after the one in flight (each operation ends by decrementing #pending). */
  #run<T>(operation: () => Promise<T>): Promise<T> {
    const last = this.#last;
    const started = this.#pending++ === 0 || !last ? operation() : last.then(operation, operation);
    this.#last = started;
    return started;
  }

  async #read(): Promise<IteratorResult<StreamEvent, void>> {
    try {
      if (this.#phase === 'start') await this.#start();
      if (this.#phase === 'finished') {
        this.#phase = 'done';
        closeLeg(this.#opened, this.#watchdog, true);
        return DONE;
      }
      if (this.#phase !== 'reading') return DONE;
      const queued = this.#nextEvent;
      if (queued) {
        this.#nextEvent = undefined;
        return { value: queued, done: false };
      }
      try {
        legs: for (;;) {
          try {
            for (;;) {
              const opened = this.#opened;
              let part: ProviderStreamPart;
              if (this.#headRead < opened.head.length) {
                part = opened.head[this.#headRead++]!;
              } else {
                this.#watchdog.awaitingProvider();
                const step = await opened.next();
                this.#watchdog.partArrived();
                if (step.done) {
                  this.#checkLegEnd();
                  break legs;
                }
                part = step.value;
              }
              const charged = this.#charge(part);
              if (charged !== true && (charged === false || !(await charged))) {
                // The budget ran out mid-stream: stop the upstream request and end cleanly, saying why.
                opened.scope.controller.abort(new KeelError('budget_exceeded', 'Budget exhausted mid-stream'));
                this.#finishReason = 'budget_exhausted';
                break legs;
              }
              const event = this.#translate(part);
              if (event) return { value: event, done: false };
            }
          } catch (thrown) {
            if (!(await this.#recover(thrown))) throw thrown;
          }
        }
        return await this.#complete();
      } catch (thrown) {
        throw await this.#fail(thrown);
      }
    } finally {
      this.#pending--;
    }
  }

  /** The caller stopped reading (`return`): settle what was served and stop the upstream request. */
  async #leave(): Promise<IteratorResult<StreamEvent, void>> {
    try {
      const phase = this.#phase;
      this.#phase = 'done';
      this.#commit = undefined;
      if (phase === 'finished') closeLeg(this.#opened, this.#watchdog, true);
      if (phase === 'reading') {
        try {
          await this.#options.onSettled({ error: new KeelError('aborted', 'Stream consumer stopped reading'), text: this.#legText, usage: this.#usage });
        } finally {
          closeLeg(this.#opened, this.#watchdog, false);
        }
      }
      return DONE;
    } finally {
      this.#pending--;
    }
  }

  /** `throw(error)`: a stream being read fails with it, as a generator would at its `yield`. */
  async #inject(error: unknown): Promise<IteratorResult<StreamEvent, void>> {
    try {
      const phase = this.#phase;
      this.#phase = 'done';
      this.#commit = undefined;
      if (phase === 'reading') throw await this.#fail(error);
      if (phase === 'finished') closeLeg(this.#opened, this.#watchdog, true);
      throw error;
    } finally {
      this.#pending--;
    }
  }

  /** Up to the first token. A failure here is the stream's first rejection; `commit` has settled and announced it. */
  async #start(): Promise<void> {
    const commit = this.#commit!;
    this.#commit = undefined;
    this.#phase = 'done';
    const options = await commit();
    this.#options = options;
    this.#meter = options.meter;
    this.#watchdog = this.#openLeg(options.opened);
    this.#firstTokenAt = this.#watchdog.firstTokenAt;
    this.#phase = 'reading';
  }

  /** Starts reading a leg: its watchdog and its abortable reader. */
  #openLeg(opened: OpenedStream): Watchdog {
    this.#opened = opened;
    this.#model = opened.model;
    this.#headRead = 0;
    return startWatchdog(this.#options.call.clock, this.#options.deadline, this.#options.idleMs, opened.scope.controller, opened);
  }

  /** The provider ended the leg: only a finished answer (and a restart that caught up) ends it well. */
  #checkLegEnd(): void {
    if (this.#finishReason === undefined) {
      throw new KeelError('truncated', 'Stream ended after its first token without finishing', { provider: this.#opened.provider, model: this.#model });
    }
    if (this.#gate && !this.#gate.done) {
      // A restart that finished before regenerating what the caller has: nothing to join.
      throw new PrefixMismatch('The regenerated answer is shorter than the text already sent');
    }
  }

  /**
   * Charges a text delta to the budget (when there is one) BEFORE it is handed out, so a caller
   * who stops reading has paid for all it got; false once the budget has no room. Only text is
   * metered; everything else, a stream with no meter and a meter that answers at once cost no await.
   */
  #charge(part: ProviderStreamPart): boolean | Promise<boolean> {
    return this.#meter && part.type === 'text' && part.text.length > 0 ? this.#meter(part.text) : true;
  }

  #translate(part: ProviderStreamPart): StreamEvent | undefined {
    switch (part.type) {
      case 'text': {
        // A text part may carry its chunk (see ProviderStreamPart): its raw event follows the text.
        const raw: StreamEvent | undefined = part.raw !== undefined && this.#options.includeRaw ? { type: 'raw', chunk: part.raw } : undefined;
        if (part.text.length === 0) return raw;
        this.#legText += part.text;
        const shown = this.#gate ? this.#gate.pass(part.text) : part.text;
        if (shown.length === 0) return raw;
        this.#text += shown;
        if (this.#options.textEvents === false) return raw;
        this.#nextEvent = raw;
        return shown === part.text && part.raw === undefined ? part : { type: 'text', text: shown };
      }
      case 'usage':
        this.#usage = part.usage;
        return part;
      case 'finish':
        this.#finishReason = part.finishReason;
        if (part.model) this.#model = part.model;
        return undefined;
      case 'raw':
        return this.#options.includeRaw ? { type: 'raw', chunk: part.chunk } : undefined;
    }
  }

  /** A leg failed: go on from another when `recover` finds one (true), else the stream fails. */
  async #recover(thrown: unknown): Promise<boolean> {
    const options = this.#options;
    if (thrown instanceof PrefixMismatch || !options.recover) return false;
    const error = brokenError(thrown, this.#opened, options.callerSignal);
    const next = await options.recover({ error, sent: this.#text, legText: this.#legText, usage: this.#usage, opened: this.#opened });
    if (!next) return false;
    this.#brokenBy = error;
    closeLeg(this.#opened, this.#watchdog, false);
    this.#meter = next.meter;
    this.#gate = next.gate;
    this.#watchdog = this.#openLeg(next.opened);
    this.#legText = '';
    this.#usage = undefined;
    this.#finishReason = undefined;
    return true;
  }

  /** The finish event: the result, after the call is settled. */
  async #complete(): Promise<IteratorResult<StreamEvent, void>> {
    const { call, costOf, onSettled } = this.#options;
    const opened = this.#opened;
    const usage = this.#usage;
    const costUsd = costOf?.(usage);
    chargeCandidate(call, costUsd);
    const result: ChatResult = {
      text: this.#text,
      message: { role: 'assistant', content: this.#text },
      // Set: the leg ended with a finish (#checkLegEnd) or the budget cut it.
      finishReason: this.#finishReason!,
      usage: usage ?? { inputTokens: 0, outputTokens: 0 },
      provider: opened.provider,
      model: this.#model,
      // Every leg's cost when the stream was recovered; the one leg's otherwise.
      costUsd: costUsd === undefined ? undefined : callCostUsd(call),
      attempts: [...call.attempts],
      candidates: candidatesOf(call),
      latencyMs: call.clock.now() - call.startedAt,
      ttftMs: this.#firstTokenAt - call.startedAt,
    };
    this.#finished = true;
    const budgetRemaining = await onSettled({ result, text: this.#legText, usage });
    this.#phase = 'finished';
    return { value: { type: 'finish', result: budgetRemaining ? { ...result, budgetRemaining } : result }, done: false };
  }

  /** The stream fails with what was thrown: settled once, its leg stopped, the KeelError returned to throw. */
  async #fail(thrown: unknown): Promise<KeelError> {
    this.#phase = 'done';
    const error = committedError(thrown, this.#options, this.#opened, this.#text, this.#model, this.#brokenBy);
    try {
      await this.#options.onSettled({ error, text: this.#legText, usage: this.#usage });
    } finally {
      closeLeg(this.#opened, this.#watchdog, this.#finished);
    }
    return error;
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
