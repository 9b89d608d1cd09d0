/** Anything with a `get(name)` (fetch `Headers`), or a plain header record. */
export type HeaderSource =
  | { get(name: string): string | null | undefined }
  | Readonly<Record<string, string | readonly string[] | undefined>>
  | null
  | undefined;

/** What the server said about retrying, read from its response headers. */
export interface RetryDirective {
  /** How long the server asked us to wait, in milliseconds. */
  readonly retryAfterMs?: number | undefined;
  /** `x-should-retry`: the server's explicit yes/no, which overrides Keel's default. */
  readonly shouldRetry?: boolean | undefined;
}

/**
 * One header's value from fetch `Headers` or a plain record (older SDKs and CommonJS builds
 * hand either). Plain records are matched case-insensitively, like real headers.
 */
export function headerValue(headers: HeaderSource, name: string): string | undefined {
  if (!headers) return undefined;
  if (typeof (headers as { get?: unknown }).get === 'function') {
    return (headers as { get(name: string): string | null | undefined }).get(name) ?? undefined;
  }
  const record = headers as Readonly<Record<string, string | readonly string[] | undefined>>;
  const lower = name.toLowerCase();
  const key = Object.keys(record).find((candidate) => candidate.toLowerCase() === lower);
  const value = key === undefined ? undefined : record[key];
  return typeof value === 'string' ? value : value?.[0];
}

/** RFC 9110 §10.2.3 delta-seconds: `1*DIGIT`. No sign, fraction, exponent or hex. */
const DELTA_SECONDS = /^\d+$/;
/**
 * `retry-after-ms` is not standardised; the OpenAI and Anthropic SDKs `parseFloat` it, and
 * servers send whole or fractional milliseconds. Keel takes exactly that: digits with an
 * optional decimal fraction, nothing `parseFloat` would merely tolerate (`1e3`, `12abc`).
 */
const MILLISECONDS = /^\d+(?:\.\d+)?$/;
const DAY = '(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)';
const LONG_DAY = '(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)';
const MONTH = '(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)';
const TIME = '\\d{2}:\\d{2}:\\d{2}';
/** RFC 9110 §5.6.7 HTTP-date: IMF-fixdate, and the obsolete RFC 850 and asctime forms recipients must accept. */
const IMF_FIXDATE = new RegExp(`^${DAY}, \\d{2} ${MONTH} \\d{4} ${TIME} GMT$`);
const RFC_850 = new RegExp(`^${LONG_DAY}, \\d{2}-${MONTH}-\\d{2} ${TIME} GMT$`);
const ASCTIME = new RegExp(`^${DAY} ${MONTH} [ \\d]\\d ${TIME} \\d{4}$`);

/** Epoch ms of an RFC 9110 HTTP-date, or undefined for anything else (`Date.parse` alone accepts `2`). */
function parseHttpDate(value: string): number | undefined {
  let date: number | undefined;
  if (IMF_FIXDATE.test(value) || RFC_850.test(value)) date = Date.parse(value);
  // asctime has no zone; HTTP dates are always UTC, so say so rather than let it read as local time.
  else if (ASCTIME.test(value)) date = Date.parse(`${value} GMT`);
  return date !== undefined && Number.isFinite(date) ? date : undefined;
}

/** `retry-after`: delta-seconds or an HTTP-date (RFC 9110 §10.2.3); anything else is ignored. */
function parseRetryAfter(value: string, now: number): number | undefined {
  if (DELTA_SECONDS.test(value)) return Number(value) * 1000;
  const date = parseHttpDate(value);
  return date === undefined ? undefined : Math.max(0, date - now);
}

/**
 * Reads `retry-after-ms`, then `retry-after` (delta-seconds or an HTTP-date), and
 * `x-should-retry`. A value of any other shape (`0x0`, `1e-1`, `-5`, `soon`) is ignored, as
 * if the header were absent.
 */
export function readRetryDirective(headers: HeaderSource, now: number = Date.now()): RetryDirective {
  let retryAfterMs: number | undefined;
  const ms = headerValue(headers, 'retry-after-ms')?.trim();
  if (ms !== undefined && MILLISECONDS.test(ms)) retryAfterMs = Number(ms);
  if (retryAfterMs === undefined) {
    const after = headerValue(headers, 'retry-after')?.trim();
    if (after !== undefined) retryAfterMs = parseRetryAfter(after, now);
  }
  const should = headerValue(headers, 'x-should-retry');
  const shouldRetry = should === 'true' ? true : should === 'false' ? false : undefined;
  return { retryAfterMs, shouldRetry };
}
