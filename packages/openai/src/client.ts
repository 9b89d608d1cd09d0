import { clientOptionSecrets } from '@keel/core';
import type OpenAI from 'openai';

/**
 * The SDK's setTimeout ceiling (2^31 - 1 ms, about 24.8 days). Anything larger overflows to
 * 1 ms in Node, and 0 is not allowed, so this is "no SDK timeout".
 */
const NO_TIMEOUT_MS = 2_147_483_647;

/** The `fetch` an SDK client calls (the SDK keeps it as a plain, if private, property). */
type Fetch = (url: string | URL | Request, init?: RequestInit) => Promise<Response>;

/**
 * Where a call's signal rides from `create(…, options)` to the fetch under the SDK: a key of
 * `fetchOptions`, which the SDK spreads, untouched, into the init it hands to `fetch`.
 */
const CALL_SIGNAL = Symbol('keel.callSignal');
type KeelInit = RequestInit & { [CALL_SIGNAL]?: AbortSignal };

/** The SDK's per-request options (its `RequestOptions`, read off `create` so no internal path is imported). */
type RequestOptions = NonNullable<Parameters<OpenAI['chat']['completions']['create']>[1]>;

/** The SDK client Keel calls, and the per-request options that carry a call's signal to it. */
export interface KeelClient {
  readonly client: OpenAI;
  /** For `create(body, options)`: the options that make `signal` govern the request. */
  readonly requestOptions: (signal: AbortSignal) => RequestOptions;
}

/**
 * A copy of the user's client with the SDK's retries and timeout off. Keel is the only retry
 * layer (retries must not multiply) and owns every deadline through `context.signal`. The copy
 * keeps everything else: key, base URL, headers, fetch options, the user's own fetch.
 *
 * Why the signal does not go in `{ signal }`: the SDK then composes it with its own controller
 * through `AbortSignal.any`, which costs more per call (V8's weak references, GC) than all of
 * Keel's pipeline (`pnpm bench:features`: +11 µs for the raw SDK handed a signal). The copy's
 * fetch wraps the client's own and hands it the call's signal in place of the SDK's controller.
 * Nothing is lost: the SDK aborts its controller only on its own timeout (off) and when its
 * `Stream` is left early, and then it also cancels the response body, which ends the request;
 * Keel's pipeline aborts the call's signal whenever it leaves a stream early. A client whose
 * fetch the SDK replaces (x509 authentication) gets the plain `{ signal }`.
 */
export function deriveClient(client: OpenAI): KeelClient {
  const inner = (client as unknown as { fetch?: Fetch }).fetch;
  if (typeof inner !== 'function') return plain(client);
  const fetch = signalFetch(inner);
  const derived = client.withOptions({ maxRetries: 0, timeout: NO_TIMEOUT_MS, fetch });
  if ((derived as unknown as { fetch?: Fetch }).fetch !== fetch) return plain(client);
  return {
    client: derived,
    requestOptions: (signal) => ({ fetchOptions: { [CALL_SIGNAL]: signal } as RequestOptions['fetchOptions'] }),
  };
}

function plain(client: OpenAI): KeelClient {
  return { client: client.withOptions({ maxRetries: 0, timeout: NO_TIMEOUT_MS }), requestOptions: (signal) => ({ signal }) };
}

/** The client's fetch, with the call's signal (from `fetchOptions`) in place of the SDK's. */
function signalFetch(inner: Fetch): Fetch {
  return (url, init?: KeelInit) => {
    const call = init?.[CALL_SIGNAL];
    if (!call) return inner(url, init);
    const { [CALL_SIGNAL]: _call, ...rest } = init;
    return inner(url, { ...rest, signal: call });
  };
}

/**
 * The client's credentials and every header and query value it was built with, read at error
 * time (the SDK can resolve a key lazily). `_options` is the SDK's own (protected) copy of the
 * constructor options, which `withOptions` carries over.
 */
export function secretsOf(client: OpenAI): string[] {
  const secrets: string[] = [];
  if (typeof client.apiKey === 'string') secrets.push(client.apiKey);
  if (typeof client.adminAPIKey === 'string') secrets.push(client.adminAPIKey);
  const options = (client as unknown as { _options?: { defaultHeaders?: unknown; defaultQuery?: unknown } })._options;
  secrets.push(...clientOptionSecrets(options));
  return secrets;
}
