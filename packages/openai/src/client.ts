import { clientOptionSecrets } from '@keel/core';
import type OpenAI from 'openai';

/**
 * The SDK's setTimeout ceiling (2^31 - 1 ms, about 24.8 days). Anything larger overflows to
 * 1 ms in Node, and 0 is not allowed, so this is "no SDK timeout".
 */
const NO_TIMEOUT_MS = 2_147_483_647;

/**
 * A copy of the user's client with the SDK's retries and timeout off. Keel is the only retry
 * layer (retries must not multiply) and owns every deadline through `context.signal`. The copy
 * keeps everything else: key, base URL, headers, custom fetch.
 */
export function deriveClient(client: OpenAI): OpenAI {
  return client.withOptions({ maxRetries: 0, timeout: NO_TIMEOUT_MS });
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
