import type { TimeoutOptions } from '../config/schema.js';
import { KeelError } from '../errors/keel-error.js';
import type { ProviderStreamPart } from '../provider/provider.js';
import { abortableNext, deadlineError, openScope, type AttemptScope } from '../policies/timeout.js';
import type { Attempt } from './context.js';

/** A stream that has reached its commit point: the first token is in `head`. */
export interface OpenedStream {
  readonly provider: string;
  readonly model: string;
  readonly attempt: number;
  readonly iterator: AsyncIterator<ProviderStreamPart>;
  /**
   * `iterator.next()`, rejected as soon as the leg's signal aborts: a provider that ignores its
   * signal still cannot hold the stream past a timeout. One abort listener for the whole leg.
   */
  readonly next: () => Promise<IteratorResult<ProviderStreamPart>>;
  /** Parts read before and including the commit part, not yet handed to the caller. */
  readonly head: readonly ProviderStreamPart[];
  /** Owns the upstream request: aborting it cancels the HTTP stream. */
  readonly scope: AttemptScope;
}

/** The first part that carries output commits the stream: after it, a retry would be visible. */
function isCommitPart(part: ProviderStreamPart): boolean {
  switch (part.type) {
    case 'text':
      return part.text.length > 0;
    case 'raw':
      return part.content;
    case 'finish':
      return true;
    case 'usage':
      return false;
  }
}

/**
 * The terminal step of a streaming attempt: open the provider stream and read up to the first
 * token under the time-to-first-token timeout. Anything that fails before then throws into the
 * retry loop, invisible to the caller.
 */
export function openStreamAttempt(timeouts: TimeoutOptions): Attempt<OpenedStream> {
  return async (context) => {
    const { provider, request } = context.target;
    const remaining = context.deadline - context.call.clock.now();
    const byDeadline = remaining <= timeouts.firstTokenMs;
    const scope = openScope(context, Math.min(timeouts.firstTokenMs, remaining), () =>
      byDeadline
        ? deadlineError(context)
        : new KeelError('timeout', `No first token within ${timeouts.firstTokenMs} ms`, {
            provider: context.provider,
            model: context.model,
          }),
    );
    const iterator = provider
      .stream(request, { signal: scope.signal, deadline: context.deadline, attempt: context.attempt })
      [Symbol.asyncIterator]();
    const next = abortableNext(iterator, scope.signal);
    const head: ProviderStreamPart[] = [];
    try {
      for (;;) {
        const step = await next();
        if (step.done) {
          throw new KeelError('server', 'Stream ended before any output', {
            provider: context.provider,
            model: context.model,
          });
        }
        head.push(step.value);
        if (isCommitPart(step.value)) break;
      }
    } catch (error) {
      if (!scope.signal.aborted) scope.controller.abort(error);
      scope.release();
      iterator.return?.().catch(() => undefined);
      throw error;
    }
    scope.clearTimer();
    return { provider: context.provider, model: context.model, attempt: context.attempt, iterator, next, head, scope };
  };
}
