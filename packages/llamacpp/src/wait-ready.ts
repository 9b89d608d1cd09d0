import { KeelError, type Clock } from '@keel/core';
import type { LlamaServerRoutes } from './routes.js';

/**
 * Waits until `/health` says the model is loaded, polling every `pollMs` on `clock`, for as long
 * as `signal` allows (the call's deadline aborts it with Keel's own timeout error, which the
 * breaker does not count). A loading server is not a failing one: waiting here instead of
 * surfacing the 503 keeps a cold start from tripping the breaker or burning retries.
 */
export async function waitUntilReady(routes: LlamaServerRoutes, options: { readonly signal: AbortSignal; readonly clock: Clock; readonly pollMs: number; readonly provider: string }): Promise<void> {
  const { signal, clock, pollMs } = options;
  for (;;) {
    if (signal.aborted) throw abortReason(signal, options.provider);
    if ((await routes.health(signal)) === 'ready') return;
    await clock.sleep(pollMs, signal).catch(() => {
      throw abortReason(signal, options.provider);
    });
  }
}

function abortReason(signal: AbortSignal, provider: string): KeelError {
  return KeelError.is(signal.reason) ? signal.reason : new KeelError('aborted', 'llama-server call aborted while the model was loading', { provider });
}
