import type OpenAI from 'openai';
import { attemptErrorContext, type Provider, type ProviderRequest } from '@keel/core';
import { chat } from './chat.js';
import { deriveClient, secretsOf } from './client.js';
import type { ErrorContext } from './map-error.js';
import { stream } from './stream.js';
import { supportsOutputSchema } from './strict-schema.js';

export interface OpenAIProviderOptions {
  /**
   * The `openai` client the service already builds (key, base URL, headers, fetch). Keel uses
   * a copy with the SDK's retries and timeout off; the original is left untouched.
   */
  readonly client: OpenAI;
  /**
   * Names this provider in configuration, breaker keys, events and errors.
   * @default 'openai'
   */
  readonly id?: string | undefined;
}

/** A Keel {@link Provider} over OpenAI's Chat Completions API. */
export function createOpenAIProvider(options: OpenAIProviderOptions): Provider {
  const id = options.id ?? 'openai';
  const keelClient = deriveClient(options.client);
  const { client } = keelClient;
  // Secrets are read when an error is built: an `apiKey` function only resolves during the request.
  const secrets = () => secretsOf(client);
  const errorContext = (request: ProviderRequest, signal: AbortSignal): ErrorContext => attemptErrorContext(id, request, signal, secrets);
  return {
    id,
    chat: (request, context) => chat(keelClient, errorContext(request, context.signal), request, context),
    stream: (request, context) => stream(keelClient, errorContext(request, context.signal), request, context),
    supportsOutputSchema,
  };
}
