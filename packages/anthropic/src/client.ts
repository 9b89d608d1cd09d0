import { clientOptionSecrets } from '@keel/core';
import type Anthropic from '@anthropic-ai/sdk';

/**
 * The SDK's setTimeout ceiling (2^31 - 1 ms, about 24.8 days). Anything larger overflows to
 * 1 ms in Node, and 0 is not allowed, so this is "no SDK timeout".
 */
const NO_TIMEOUT_MS = 2_147_483_647;

/**
 * A copy of the user's client with the SDK's retries and timeout off. Keel is the only retry
 * layer (retries must not multiply) and owns every deadline through `context.signal`. The copy
 * keeps everything else: credentials, base URL, headers, custom fetch, middleware.
 *
 * An explicit timeout also stops `messages.create` from deriving one from `max_tokens`, which
 * throws "Streaming is required…" for a large non-streamed `max_tokens`.
 */
export function deriveClient(client: Anthropic): Anthropic {
  return client.withOptions({ maxRetries: 0, timeout: NO_TIMEOUT_MS });
}

/**
 * The client's credentials and every header and query value it was built with, read at error
 * time (the SDK can resolve a key lazily). `_options` is the SDK's own (protected) copy of the
 * constructor options, which `withOptions` carries over.
 */
export function secretsOf(client: Anthropic): string[] {
  const secrets: string[] = [];
  if (typeof client.apiKey === 'string') secrets.push(client.apiKey);
  if (typeof client.authToken === 'string') secrets.push(client.authToken);
  const options = (client as unknown as { _options?: { defaultHeaders?: unknown; defaultQuery?: unknown } })._options;
  secrets.push(...clientOptionSecrets(options));
  return secrets;
}
