import type { ServerResponse } from 'node:http';
import type { ReplyPlan } from '../reply.js';
import type { MutableServed } from '../request-log.js';
import type { WireFormat } from '../wire/wire-format.js';
import type { TimerSet } from './timers.js';

/**
 * One request/response pair as the fault runner sees it: a thin layer over node's response
 * that ignores writes after the connection is gone and remembers who closed it.
 */
export interface Exchange {
  readonly wire: WireFormat;
  readonly plan: ReplyPlan;
  readonly stream: boolean;
  /** The request log's live count of what was served (see RecordedRequest.served). */
  readonly served: MutableServed;
  /** Aborts when the response is over for any reason (finished, client gone, server closing). */
  readonly signal: AbortSignal;
  /** Waits `ms`; resolves false when the exchange ended first. */
  delay(ms: number): Promise<boolean>;
  /** Sends the status line and headers now. */
  head(status: number, headers: Record<string, string>): void;
  /** Writes if the response is still open; false when it is gone. */
  write(text: string): boolean;
  /** Ends if the response is still open; false when it is gone. */
  end(text?: string): boolean;
  /** Resets the socket (TCP RST) before any response byte. */
  reset(): void;
  /** Closes the socket after what was written so far, leaving the response unfinished. */
  cut(): void;
  /** True when the server, not the client, ended the connection early. */
  readonly closedByServer: boolean;
}

export function createExchange(
  res: ServerResponse,
  init: { wire: WireFormat; plan: ReplyPlan; stream: boolean; timers: TimerSet; served: MutableServed },
): Exchange & { abort(): void } {
  const controller = new AbortController();
  let closedByServer = false;
  res.once('close', () => controller.abort());
  const open = () => !res.destroyed && !res.writableEnded;

  return {
    ...init,
    signal: controller.signal,
    get closedByServer() {
      return closedByServer;
    },
    delay: (ms) => init.timers.delay(ms, controller.signal),
    head(status, headers) {
      if (!open() || res.headersSent) return;
      res.writeHead(status, headers);
      res.flushHeaders();
    },
    write(text) {
      if (!open()) return false;
      res.write(text);
      return true;
    },
    end(text) {
      if (!open()) return false;
      res.end(text);
      return true;
    },
    reset() {
      closedByServer = true;
      res.socket?.resetAndDestroy();
    },
    cut() {
      closedByServer = true;
      // A FIN after the buffered bytes flush, not an RST, so the client reliably reads them first.
      res.socket?.end();
    },
    abort() {
      closedByServer = true;
      controller.abort();
      res.socket?.destroy();
    },
  };
}
