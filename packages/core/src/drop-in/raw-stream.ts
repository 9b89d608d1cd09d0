import { KeelError } from '../errors/keel-error.js';
import type { KeelStream, StreamEvent } from '../pipeline/stream.js';
import type { Clock } from '../util/clock.js';

/** What an SDK `Stream` is built from: its iterator factory and the controller that stops it. */
export interface OpenedRawStream<T> {
  readonly iterator: () => AsyncIterator<T>;
  readonly controller: AbortController;
}

/**
 * How long a stream handed to the caller may wait for its first read. A stream nobody reads
 * would otherwise hold its budget until the hold expires (deadline + 60 s) and never finish.
 */
export interface UnreadStreamRule {
  readonly clock: Clock;
  readonly firstReadMs: number;
}

/**
 * Starts a Keel stream opened with `includeRaw` and waits for its first event, i.e. the commit
 * point: everything that fails before it was retried invisibly and is final, so it rejects here,
 * as the SDK's own `create()` rejects on an HTTP error. The rest is handed out as the SDK's own
 * chunks (`toChunk` may drop one by returning undefined).
 *
 * The returned controller stops the call (like the SDK stream's `controller`); a caller's abort,
 * through it or through `callerSignal`, ends the iteration quietly as in the SDK. Any other
 * failure after the commit point throws its KeelError, which carries `partialText`. A stream the
 * budget cut short throws `budget_exceeded` after the text it delivered: an SDK consumer has no
 * other way to tell it from a complete answer. A stream not read within `unread.firstReadMs`
 * ends then — upstream request stopped, hold settled with the input, `call.finished` emitted —
 * and a later read throws its `timeout`.
 */
export async function openRawStream<T>(
  start: (signal: AbortSignal) => KeelStream,
  callerSignal: AbortSignal | undefined,
  toChunk: (raw: unknown) => T | undefined,
  unread: UnreadStreamRule,
): Promise<OpenedRawStream<T>> {
  const controller = new AbortController();
  const follow = () => controller.abort(callerSignal?.reason);
  if (callerSignal?.aborted) follow();
  else callerSignal?.addEventListener('abort', follow, { once: true });
  const unfollow = () => callerSignal?.removeEventListener('abort', follow);

  let events: AsyncIterator<StreamEvent>;
  let first: IteratorResult<StreamEvent>;
  try {
    events = start(controller.signal)[Symbol.asyncIterator]();
    first = await events.next();
  } catch (error) {
    unfollow();
    throw error;
  }

  // Never read in time: end the Keel stream now, which settles it and emits call.finished.
  let unreadFailure: Promise<unknown> | undefined;
  const unreadTimer = unread.clock.setTimer(() => {
    const error = new KeelError('timeout', `Stream not read within ${unread.firstReadMs} ms of being opened`, { retryable: false });
    unfollow();
    unreadFailure = (events.throw?.(error) ?? events.return?.(undefined) ?? Promise.resolve()).then(
      () => error,
      (thrown: unknown) => thrown,
    );
  }, unread.firstReadMs);

  let consumed = false;
  const read = (): AsyncIterator<T, undefined> => {
    // Same rule as the SDK: a stream is read once (`tee()` splits it).
    if (consumed) return failing(new KeelError('bad_request', 'This stream was already read; use tee() to read it twice'));
    consumed = true;
    return new RawChunks(first, events, controller, toChunk, async () => {
      unreadTimer.clear();
      if (unreadFailure) throw await unreadFailure;
    }, unfollow);
  };
  return { iterator: read, controller };
}

const DONE: IteratorReturnResult<undefined> = { done: true, value: undefined };

/** An iterator whose first `next` rejects with `error` (the SDK's own second read fails the same way). */
function failing<T>(error: KeelError): AsyncIterator<T, undefined> {
  let failed = false;
  return {
    next: async () => {
      if (failed) return DONE;
      failed = true;
      throw error;
    },
  };
}

/**
 * The SDK's chunks out of a Keel stream's events, by an iterator written by hand: an async
 * generator here would cost every chunk an extra await and yield (this runs once per chunk of
 * every drop-in stream).
 */
class RawChunks<T> implements AsyncIterator<T, undefined> {
  readonly #events: AsyncIterator<StreamEvent>;
  readonly #controller: AbortController;
  readonly #toChunk: (raw: unknown) => T | undefined;
  readonly #begin: () => Promise<void>;
  readonly #unfollow: () => void;
  #step: IteratorResult<StreamEvent> | undefined;
  #phase: 'start' | 'reading' | 'done' = 'start';

  constructor(
    first: IteratorResult<StreamEvent>,
    events: AsyncIterator<StreamEvent>,
    controller: AbortController,
    toChunk: (raw: unknown) => T | undefined,
    begin: () => Promise<void>,
    unfollow: () => void,
  ) {
    this.#step = first;
    this.#events = events;
    this.#controller = controller;
    this.#toChunk = toChunk;
    this.#begin = begin;
    this.#unfollow = unfollow;
  }

  async next(): Promise<IteratorResult<T, undefined>> {
    if (this.#phase === 'done') return DONE;
    if (this.#phase === 'start') {
      this.#phase = 'done';
      await this.#begin();
      this.#phase = 'reading';
    }
    try {
      for (;;) {
        const step = this.#step ?? (await this.#events.next());
        this.#step = undefined;
        // Aborted before reading on: nothing more, as with the SDK's own stream.
        if (step.done || this.#controller.signal.aborted) {
          await this.#end();
          return DONE;
        }
        const event = step.value;
        if (event.type === 'finish' && event.result.finishReason === 'budget_exhausted') {
          const { result } = event;
          throw new KeelError('budget_exceeded', 'Budget exhausted mid-stream: the answer was cut short', {
            retryable: false,
            provider: result.provider,
            model: result.model,
            partialText: result.text,
            attempts: result.attempts,
          });
        }
        if (event.type === 'raw') {
          const chunk = this.#toChunk(event.chunk);
          if (chunk !== undefined) return { value: chunk, done: false };
        }
      }
    } catch (error) {
      await this.#end();
      // The SDK ends a stream quietly when its controller aborts; a caller's abort does the same here.
      if (this.#controller.signal.aborted && KeelError.is(error) && error.kind === 'aborted') return DONE;
      throw error;
    }
  }

  /** The reader left: stops Keel's stream, which aborts the HTTP request. */
  async return(): Promise<IteratorResult<T, undefined>> {
    if (this.#phase === 'reading') await this.#end();
    this.#phase = 'done';
    return DONE;
  }

  async #end(): Promise<void> {
    if (this.#phase !== 'reading') return;
    this.#phase = 'done';
    this.#unfollow();
    await this.#events.return?.(undefined);
  }
}
