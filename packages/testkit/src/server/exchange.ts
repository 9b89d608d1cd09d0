import type { ServerResponse } from 'node:http';
import type { CutHow } from '../faults.js';
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
  /**
   * Ends the connection mid-response (`fin`: close, `rst`: reset) once everything written so far
   * has reached the client; resolves when done, or when the exchange ended first.
   */
  cut(how: CutHow): Promise<void>;
  /** True when the server, not the client, ended the connection early. */
  readonly closedByServer: boolean;
}

export interface ExchangeInit {
  readonly wire: WireFormat;
  readonly plan: ReplyPlan;
  readonly stream: boolean;
  readonly timers: TimerSet;
  /** Real-time grace before a cut, for clients in another process. See `TestServerOptions.cutDelayMs`. */
  readonly cutDelayMs: number;
  /** The request log's live count of what was served (see RecordedRequest.served). */
  readonly served: MutableServed;
}

/** Resolves true once `work` settles, or false as soon as `signal` aborts. */
function unlessAborted(work: Promise<unknown>, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = () => resolve(false);
    signal.addEventListener('abort', onAbort, { once: true });
    void work.then(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    });
  });
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

export function createExchange(res: ServerResponse, init: ExchangeInit): Exchange & { abort(): void } {
  const controller = new AbortController();
  let closedByServer = false;
  /** One promise per body write, settled when node handed those bytes to the kernel. */
  const writes: Promise<void>[] = [];
  res.once('close', () => controller.abort());
  const open = () => !res.destroyed && !res.writableEnded;

  /**
   * Waits until the client has read every byte written so far. Node's response buffers chunked
   * writes until the next tick, so closing the socket at once would drop them: first the write
   * callbacks (the bytes are in the kernel; on loopback, in the client's receive buffer), then the
   * grace, then a timer followed by `setImmediate`, which puts at least one poll phase of this event
   * loop in between — the one where an in-process client reads those bytes. Its FIN/RST is only
   * read in a later poll phase, by which time a reader that is pulling has taken the chunks out of
   * fetch's body stream (WHATWG streams drop chunks still queued when the stream errors).
   */
  async function clientHasRead(): Promise<boolean> {
    if (!(await unlessAborted(Promise.all(writes), controller.signal))) return false;
    if (!(await init.timers.delay(init.cutDelayMs, controller.signal))) return false;
    await nextTurn();
    return open();
  }

  return {
    wire: init.wire,
    plan: init.plan,
    stream: init.stream,
    served: init.served,
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
      // The callback also runs (with an error) when the socket is destroyed first.
      writes.push(new Promise((resolve) => res.write(text, () => resolve())));
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
    async cut(how) {
      if (!(await clientHasRead())) return;
      closedByServer = true;
      if (how === 'rst') res.socket?.resetAndDestroy();
      else res.socket?.end();
    },
    abort() {
      closedByServer = true;
      controller.abort();
      res.socket?.destroy();
    },
  };
}
