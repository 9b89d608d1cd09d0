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
  async function* read(): AsyncGenerator<T, void, undefined> {
    // Same rule as the SDK: a stream is read once (`tee()` splits it).
    if (consumed) throw new KeelError('bad_request', 'This stream was already read; use tee() to read it twice');
    consumed = true;
    unreadTimer.clear();
    if (unreadFailure) throw await unreadFailure;
    try {
      // Aborted before reading: nothing more, as with the SDK's own stream.
      for (let step = first; !step.done && !controller.signal.aborted; step = await events.next()) {
        if (step.value.type === 'finish' && step.value.result.finishReason === 'budget_exhausted') {
          const { result } = step.value;
          throw new KeelError('budget_exceeded', 'Budget exhausted mid-stream: the answer was cut short', {
            retryable: false,
            provider: result.provider,
            model: result.model,
            partialText: result.text,
            attempts: result.attempts,
          });
        }
        if (step.value.type !== 'raw') continue;
        const chunk = toChunk(step.value.chunk);
        if (chunk !== undefined) yield chunk;
      }
    } catch (error) {
      // The SDK ends a stream quietly when its controller aborts; a caller's abort does the same here.
      if (controller.signal.aborted && KeelError.is(error) && error.kind === 'aborted') return;
      throw error;
    } finally {
      unfollow();
      // Stops Keel's stream when the reader left early, which aborts the HTTP request.
      await events.return?.(undefined);
    }
  }
  return { iterator: read, controller };
}
