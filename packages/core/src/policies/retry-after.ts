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

function header(headers: HeaderSource, name: string): string | undefined {
  if (!headers) return undefined;
  if (typeof (headers as { get?: unknown }).get === 'function') {
    return (headers as { get(name: string): string | null | undefined }).get(name) ?? undefined;
  }
  const record = headers as Readonly<Record<string, string | readonly string[] | undefined>>;
  const value: string | readonly string[] | undefined = record[name] ?? record[name.toLowerCase()];
  return typeof value === 'string' ? value : value?.[0];
}

/**
 * Reads `retry-after-ms`, then `retry-after` (seconds or an HTTP date), and `x-should-retry`,
 * the way the official SDKs do. A malformed or negative value is ignored.
 */
export function readRetryDirective(headers: HeaderSource, now: number = Date.now()): RetryDirective {
  let retryAfterMs: number | undefined;
  const ms = header(headers, 'retry-after-ms');
  if (ms !== undefined && ms.trim() !== '') {
    const value = Number(ms);
    if (Number.isFinite(value) && value >= 0) retryAfterMs = value;
  }
  if (retryAfterMs === undefined) {
    const after = header(headers, 'retry-after');
    if (after !== undefined && after.trim() !== '') {
      const seconds = Number(after);
      if (Number.isFinite(seconds)) {
        if (seconds >= 0) retryAfterMs = seconds * 1000;
      } else {
        const date = Date.parse(after);
        if (Number.isFinite(date)) retryAfterMs = Math.max(0, date - now);
      }
    }
  }
  const should = header(headers, 'x-should-retry');
  const shouldRetry = should === 'true' ? true : should === 'false' ? false : undefined;
  return { retryAfterMs, shouldRetry };
}
