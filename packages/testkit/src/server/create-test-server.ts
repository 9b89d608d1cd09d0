import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { FaultQueue, type FaultScript } from '../fault-script.js';
import type { Fault } from '../faults.js';
import { DEFAULT_REPLY_TEXT } from '../reply.js';
import { flattenHeaders, nothingServed, parseJsonBody, type MutableRecordedRequest, type RecordedRequest } from '../request-log.js';
import { WIRE_FORMATS, wireForPath, type WireFormat } from '../wire/index.js';
import type { RouteReply, RouteRequest } from '../wire/llama-server.js';
import { createExchange, type Exchange } from './exchange.js';
import { planReply } from './plan.js';
import { respond } from './respond.js';
import { TimerSet } from './timers.js';
import { Waiters } from './waiters.js';

export interface TestServerOptions {
  /** Faults taken one per request (then `ok`), or a function choosing one per request. @default [] */
  script?: FaultScript;
  /** The reply text for a request whose fault names none. @default DEFAULT_REPLY_TEXT */
  reply?: (request: RecordedRequest) => string;
  /** @default 0 (a free port) */
  port?: number;
  /** @default '127.0.0.1' */
  host?: string;
  /**
   * Real time, in milliseconds, that a `reset-after` cut waits after its bytes are written, on top
   * of the event-loop turn that already makes it deterministic for a client in this process. Raise
   * it for a client in another process (the CLI defaults to 25), which runs on its own schedule.
   * Real time on purpose: it is transport, not scripted time, so it never uses a fake clock.
   * @default 0
   */
  cutDelayMs?: number;
  /**
   * The wire formats to route POSTs to, by path; the first match wins. @default WIRE_FORMATS
   * (`[llamaServerWire]` makes `/v1/chat/completions` answer like llama-server).
   */
  wires?: readonly WireFormat[];
  /**
   * Answers routes outside the wire formats (e.g. the llama-server emulator's `/health`,
   * `/props`, `/tokenize`), asked first for every request; `undefined` falls through to the
   * wire formats. Its requests are not in `requests` (that log is the wire's).
   */
  routes?: (request: RouteRequest) => RouteReply | undefined;
}

/** A loopback server speaking the OpenAI and Anthropic wire formats, with scripted faults. */
export interface TestServer extends AsyncDisposable {
  /** `http://127.0.0.1:PORT`. OpenAI's baseURL is `${url}/v1`; Anthropic's is `url`. */
  readonly url: string;
  readonly port: number;
  /** Every routed request in arrival order; records update live (`aborted`). */
  readonly requests: readonly RecordedRequest[];
  /** How many routed requests arrived. */
  readonly hits: number;
  /**
   * Resolves once `predicate` holds, re-checked whenever a request arrives or a response closes;
   * rejects if the server closes first. For waiting on the server without sleeping, e.g.
   * `await server.waitFor(() => server.requests[0]?.aborted === true)`.
   */
  waitFor(predicate: () => boolean): Promise<void>;
  /** Replaces the fault script; requests already in flight keep their fault. */
  script(script: FaultScript): void;
  /** Destroys every open socket (hung and stalled ones included), clears timers, stops listening. */
  close(): Promise<void>;
}

type LiveExchange = Exchange & { abort(): void };

const PREFILL_WHITESPACE: Fault = {
  type: 'status',
  status: 400,
  error: { type: 'invalid_request_error', message: 'messages: final assistant content cannot end with trailing whitespace' },
};

function readBody(req: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve) => {
    const parts: Buffer[] = [];
    req.on('data', (part: Buffer) => parts.push(part));
    req.once('end', () => resolve(Buffer.concat(parts).toString('utf8')));
    // The client went away mid-body: there is nobody to answer.
    req.once('close', () => resolve(undefined));
  });
}

function sendNotFound(res: ServerResponse, method: string, path: string): void {
  const body = JSON.stringify({
    error: { message: `Invalid URL (${method} ${path})`, type: 'invalid_request_error', param: null, code: null },
  });
  res.writeHead(404, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) });
  res.end(body);
}

function sendRouted(res: ServerResponse, reply: RouteReply): void {
  const body = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
  const type = reply.contentType ?? (typeof reply.body === 'string' ? 'text/plain' : 'application/json; charset=utf-8');
  res.writeHead(reply.status, { 'content-type': type, 'content-length': String(Buffer.byteLength(body)) });
  res.end(body);
}

export async function createTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const cutDelayMs = options.cutDelayMs ?? 0;
  if (!Number.isFinite(cutDelayMs) || cutDelayMs < 0) throw new RangeError('cutDelayMs must be a non-negative number.');
  const faults = new FaultQueue(options.script);
  const requests: MutableRecordedRequest[] = [];
  const sockets = new Set<Socket>();
  const exchanges = new Set<LiveExchange>();
  const timers = new TimerSet();
  const waiters = new Waiters();
  let closing: Promise<void> | undefined;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const raw = await readBody(req);
    if (raw === undefined || closing) return;
    const routed = options.routes?.({ method, path, body: parseJsonBody(raw) });
    if (routed) return sendRouted(res, routed);
    const wire = method === 'POST' ? wireForPath(path, options.wires ?? WIRE_FORMATS) : undefined;
    if (!wire) return sendNotFound(res, method, path);

    const headers = flattenHeaders(req.headers);
    const body = parseJsonBody(raw);
    const info = wire.readRequest(body, headers);
    const record: MutableRecordedRequest = {
      index: requests.length,
      method,
      path,
      headers,
      body,
      stream: info.stream,
      wire: wire.name,
      receivedAt: Date.now(),
      aborted: false,
      closed: false,
      fault: undefined,
      served: nothingServed(),
    };
    requests.push(record);
    // The Messages API refuses a prefill that ends in whitespace, whatever the script says.
    const fault: Fault = info.prefill !== undefined && /\s$/.test(info.prefill) ? PREFILL_WHITESPACE : faults.next(record);
    record.fault = fault;
    waiters.notify();

    const text = options.reply?.(record) ?? DEFAULT_REPLY_TEXT;
    const plan = planReply({ wire, info, index: record.index, fault, text, receivedAt: record.receivedAt });
    const exchange = createExchange(res, { wire, plan, stream: info.stream, timers, cutDelayMs, served: record.served });
    exchanges.add(exchange);
    res.once('close', () => {
      exchanges.delete(exchange);
      if (!res.writableFinished && !exchange.closedByServer) record.aborted = true;
      record.closed = true;
      waiters.notify();
    });
    await respond(fault, exchange);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      // A throwing script or reply function: answer plainly rather than leave the client hanging.
      if (res.writableEnded || res.destroyed) return;
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`keel-testkit: ${error instanceof Error ? error.message : String(error)}`);
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;

  function close(): Promise<void> {
    closing ??= new Promise<void>((resolve) => {
      timers.clearAll();
      for (const exchange of exchanges) exchange.abort();
      waiters.close();
      server.close(() => resolve());
      server.closeAllConnections();
      for (const socket of sockets) socket.destroy();
    });
    return closing;
  }

  return {
    url: `http://${host}:${port}`,
    port,
    get requests() {
      return requests;
    },
    get hits() {
      return requests.length;
    },
    waitFor: (predicate) => waiters.wait(predicate),
    script: (script) => faults.replace(script),
    close,
    [Symbol.asyncDispose]: close,
  };
}
