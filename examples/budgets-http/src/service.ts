import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KeelError, type ChatResult, type Keel } from '@keel/core';

/** The tightest budget's room after a call, as Keel reports it on the result. */
export type BudgetRemaining = NonNullable<ChatResult['budgetRemaining']>;

/** `POST /summarize` → 200. */
export interface SummaryBody {
  readonly summary: string;
  readonly model: string;
  readonly usage: { readonly inputTokens: number; readonly outputTokens: number; readonly totalTokens: number };
  /** What this call cost, in USD (undefined only for an unpriced model). */
  readonly costUsd: number | undefined;
  /** Room left on the tightest budget line after this call. */
  readonly budget: BudgetRemaining | undefined;
}

/** `POST /summarize` → 4xx / 5xx. */
export interface ErrorBody {
  /** Keel's error kind (`budget_exceeded`, `rate_limited`, …), or the service's own. */
  readonly error: string;
  readonly message: string;
  /** For `budget_exceeded`: which budget ran out, what is left and when it resets. */
  readonly budget?: {
    readonly scope: string;
    readonly unit: string;
    readonly limit: number;
    readonly remaining: number;
    /** ISO 8601; absent when no reset time is known (room held by calls in flight). */
    readonly resetAt?: string | undefined;
  };
  /** Same as the `Retry-After` header, when there is one. */
  readonly retryAfterSeconds?: number | undefined;
}

export interface ServiceOptions {
  /** The Keel feature the endpoint calls. @default 'summarize' */
  readonly feature?: string | undefined;
  /**
   * How long one request may take, waits for a rate limit included. A rate limit that has room
   * again within this is waited for; one that does not is refused at once with a 429.
   * @default 5000
   */
  readonly deadlineMs?: number | undefined;
}

export interface Service {
  readonly url: string;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 256 * 1024;

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * A summarizing service. `POST /summarize` with `{"text": "..."}` and an `x-user-id` header;
 * Keel enforces the budgets and rate limits configured for the feature, and this file only maps
 * the outcome to HTTP: `budget_exceeded` and `rate_limited` become 429 with `Retry-After`.
 */
export async function startService(keel: Keel, options: ServiceOptions = {}): Promise<Service> {
  const feature = options.feature ?? 'summarize';
  const deadlineMs = options.deadlineMs ?? 5_000;

  async function summarize(req: IncomingMessage): Promise<SummaryBody> {
    const user = header(req, 'x-user-id');
    if (!user) throw new HttpError(400, 'missing_user', 'Send the caller\'s id in the x-user-id header');
    const text = await readText(req);
    const result = await keel.chat({
      feature,
      user, // budgets and rate limits with scope "user" are counted per this id
      deadlineMs,
      messages: [
        { role: 'system', content: 'Summarize the user\'s text in one or two sentences.' },
        { role: 'user', content: text },
      ],
    });
    const { inputTokens, outputTokens } = result.usage;
    return {
      summary: result.text,
      model: result.model,
      usage: { inputTokens, outputTokens, totalTokens: inputTokens + outputTokens },
      // Rounded to a billionth of a dollar: float sums like 0.0000500999… are noise to a client.
      costUsd: result.costUsd === undefined ? undefined : Math.round(result.costUsd * 1e9) / 1e9,
      budget: result.budgetRemaining,
    };
  }

  const server: Server = createServer((req, res) => {
    void (async () => {
      const path = new URL(req.url ?? '/', 'http://localhost').pathname;
      if (path !== '/summarize') return send(res, 404, { error: 'not_found', message: `No route ${path}` });
      if (req.method !== 'POST') return send(res, 405, { error: 'method_not_allowed', message: 'Use POST' }, { allow: 'POST' });
      try {
        send(res, 200, await summarize(req));
      } catch (error) {
        const { status, body, headers } = toHttpError(error);
        send(res, status, body, headers);
      }
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
      }),
  };
}

/** Seconds for a `Retry-After` header: whole seconds, rounded up, at least 1. */
export function retryAfterSeconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}

/** Maps any failure to a status, a JSON body and headers. */
export function toHttpError(error: unknown): { status: number; body: ErrorBody; headers: Record<string, string> } {
  if (error instanceof HttpError) return { status: error.status, body: { error: error.code, message: error.message }, headers: {} };
  if (!KeelError.is(error)) return { status: 500, body: { error: 'internal', message: 'Internal error' }, headers: {} };

  const retryAfter = error.retryAfterMs === undefined ? undefined : retryAfterSeconds(error.retryAfterMs);
  const headers: Record<string, string> = retryAfter === undefined ? {} : { 'retry-after': String(retryAfter) };
  switch (error.kind) {
    case 'budget_exceeded': {
      const budget = error.budget;
      const details = budget && {
        scope: budget.scope,
        unit: budget.unit,
        limit: budget.limit,
        remaining: budget.unit === 'usd' ? Math.round(budget.remaining * 1e6) / 1e6 : budget.remaining,
        resetAt: budget.resetAt === undefined ? undefined : new Date(budget.resetAt).toISOString(),
      };
      // The per-request cap: this request is too big whatever the budget's state, so waiting
      // would not help — 413, no Retry-After.
      if (budget?.scope === 'request') {
        return { status: 413, body: { error: 'request_too_large', message: error.message, budget: details }, headers: {} };
      }
      return { status: 429, body: { error: error.kind, message: error.message, budget: details, retryAfterSeconds: retryAfter }, headers };
    }
    case 'rate_limited':
      // Keel's own rate limit (no room before the deadline), or the provider's 429 after retries.
      return { status: 429, body: { error: error.kind, message: error.message, retryAfterSeconds: retryAfter }, headers };
    case 'bad_request':
      return { status: 400, body: { error: error.kind, message: error.message }, headers: {} };
    case 'circuit_open':
    case 'overloaded':
    case 'timeout':
    case 'connection':
      // The model is unavailable for now: 503, with the provider's Retry-After when it gave one.
      return { status: 503, body: { error: error.kind, message: error.message, retryAfterSeconds: retryAfter }, headers };
    default:
      return { status: 502, body: { error: error.kind, message: error.message }, headers: {} };
  }
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const json = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(json)), ...headers });
  res.end(json);
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  const first = Array.isArray(value) ? value[0] : value;
  return first?.trim() || undefined;
}

/** Reads `{"text": "..."}` from the body. */
async function readText(req: IncomingMessage): Promise<string> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const part of req as AsyncIterable<Buffer>) {
    size += part.length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, 'body_too_large', `The body is over ${MAX_BODY_BYTES} bytes`);
    parts.push(part);
  }
  let body: unknown;
  try {
    body = JSON.parse(Buffer.concat(parts).toString('utf8'));
  } catch {
    throw new HttpError(400, 'bad_json', 'The body must be JSON: {"text": "..."}');
  }
  const text = (body as { text?: unknown } | null)?.text;
  if (typeof text !== 'string' || text.trim() === '') throw new HttpError(400, 'missing_text', 'The body must be JSON: {"text": "..."}');
  return text;
}
