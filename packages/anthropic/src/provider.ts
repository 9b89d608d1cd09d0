import type Anthropic from '@anthropic-ai/sdk';
import { attemptErrorContext, type Provider, type ProviderRequest } from '@keel/core';
import { chat } from './chat.js';
import { deriveClient, secretsOf } from './client.js';
import type { ErrorContext } from './map-error.js';
import { stream } from './stream.js';
import { supportsOutputSchema } from './output-schema.js';

export interface AnthropicProviderOptions {
  /**
   * The `@anthropic-ai/sdk` client the service already builds (key, base URL, headers, fetch).
   * Keel uses a copy with the SDK's retries and timeout off; the original is left untouched.
   */
  readonly client: Anthropic;
  /**
   * Names this provider in configuration, breaker keys, events and errors.
   * @default 'anthropic'
   */
  readonly id?: string | undefined;
}

/** A Keel {@link Provider} over Anthropic's Messages API. */
export function createAnthropicProvider(options: AnthropicProviderOptions): Provider {
  const id = options.id ?? 'anthropic';
  const client = deriveClient(options.client);
  // Secrets are read when an error is built: credentials can be resolved after the client was made.
  const secrets = () => secretsOf(client);
  const errorContext = (request: ProviderRequest, signal: AbortSignal): ErrorContext => attemptErrorContext(id, request, signal, secrets);
  return {
    id,
    chat: (request, context) => chat(client, errorContext(request, context.signal), request, context),
    stream: (request, context) => stream(client, errorContext(request, context.signal), request, context),
    supportsOutputSchema,
  };
}
