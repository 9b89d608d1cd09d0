/**
 * Every value an SDK client was built to send with each request — `defaultHeaders` (a gateway's
 * `x-portkey-api-key`, Azure's `api-key`, an `Authorization` header) and `defaultQuery` (some
 * gateways take the key as `?key=`) — as exact values to scrub from errors. All of them, not
 * only the ones named like keys: Keel cannot tell which header carries a credential.
 *
 * Accepts every shape the SDKs store: a plain record (string, array or null values), fetch
 * `Headers`, an array of `[name, value]` rows, or the SDKs' `{ values: Headers, nulls }`.
 */
export function clientOptionSecrets(options: { readonly defaultHeaders?: unknown; readonly defaultQuery?: unknown } | undefined): string[] {
  const values = [...headerValues(options?.defaultHeaders, 0), ...headerValues(options?.defaultQuery, 0)];
  // `Authorization: Bearer <token>`: the token alone can be echoed too.
  const credentials = values.flatMap((value) => /^[A-Za-z][\w-]*\s+(\S+)$/.exec(value)?.slice(1) ?? []);
  return [...new Set([...values, ...credentials])];
}

function headerValues(source: unknown, depth: number): string[] {
  if (typeof source === 'string') return [source];
  if (typeof source !== 'object' || source === null || depth > 3) return [];
  const nested = (source as { values?: unknown }).values;
  // The SDKs' internal NullableHeaders: the real headers live in `values`.
  if (typeof nested === 'object' && nested !== null) return headerValues(nested, depth + 1);
  const rows: unknown[] =
    typeof (source as { entries?: unknown }).entries === 'function' && !Array.isArray(source)
      ? [...(source as { entries(): Iterable<unknown> }).entries()]
      : Array.isArray(source)
        ? source
        : Object.entries(source);
  return rows.flatMap((row) => (Array.isArray(row) ? valuesOf(row[1]) : []));
}

function valuesOf(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.filter((item): item is string => typeof item === 'string');
  return [];
}
