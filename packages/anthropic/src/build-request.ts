import type { ProviderRequest } from '@keel/core';
import { outputSchemaFields } from './output-schema.js';

/**
 * Used when the request names no `maxTokens`: Anthropic requires `max_tokens` on every call.
 * Small enough to fit every current model's output limit.
 */
export const DEFAULT_MAX_TOKENS = 1024;

/** Separates the system messages when they are joined into the top-level `system` parameter. */
const SYSTEM_SEPARATOR = '\n\n';

/** The Messages API body shared by `chat` and `stream`, before the `stream` flag. */
export function buildBody(request: ProviderRequest): Record<string, unknown> {
  const system: string[] = [];
  const messages: { role: 'user' | 'assistant'; content: string }[] = [];
  for (const { role, content } of request.messages) {
    // Anthropic takes the system prompt as a top-level parameter, not as a message.
    if (role === 'system') system.push(content);
    else messages.push({ role, content });
  }
  const body: Record<string, unknown> = {
    model: request.model,
    max_tokens: request.maxTokens ?? DEFAULT_MAX_TOKENS,
    messages,
  };
  if (system.length > 0) body['system'] = system.join(SYSTEM_SEPARATOR);
  if (request.temperature !== undefined) body['temperature'] = request.temperature;
  // Set by keel.object only when supportsOutputSchema said the schema fits.
  if (request.outputSchema) Object.assign(body, outputSchemaFields(request.outputSchema));
  // `extra` goes in last: the drop-in wrapper uses it to pass the original request (tools,
  // metadata, thinking, a block-form `system`…). Only `max_tokens` is Keel's to set: a cap in
  // `extra` is lowered to Keel's (the budget's grant), never the other way round.
  const sent: Record<string, unknown> = { ...body, ...request.extra };
  const own = request.extra?.['max_tokens'];
  if (typeof own === 'number') sent['max_tokens'] = Math.min(own, request.maxTokens ?? own);
  else if (request.extra && 'max_tokens' in request.extra) sent['max_tokens'] = body['max_tokens'];
  return sent;
}
