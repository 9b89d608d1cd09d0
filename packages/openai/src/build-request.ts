import type { ProviderRequest } from '@keel/core';

/** The chat.completions body shared by `chat` and `stream`, before the stream flags. */
export function buildBody(request: ProviderRequest): Record<string, unknown> {
  const extra = request.extra ?? {};
  const body: Record<string, unknown> = {
    model: request.model,
    messages: request.messages.map(({ role, content }) => ({ role, content })),
  };
  // `max_completion_tokens` replaced the deprecated `max_tokens`, which o-series and later
  // reasoning models reject. A caller on an older OpenAI-compatible server can send
  // `max_tokens` through `extra`; then this one is left out so the two never clash. The
  // drop-in wrapper sends the caller's own cap, whichever field it used, the same way.
  const capInExtra = 'max_tokens' in extra || 'max_completion_tokens' in extra;
  if (request.maxTokens !== undefined && !capInExtra) body['max_completion_tokens'] = request.maxTokens;
  // Reasoning models reject any temperature but the default, so send it only when asked.
  if (request.temperature !== undefined) body['temperature'] = request.temperature;
  // `extra` goes in untouched and last: the drop-in wrapper uses it to pass the original
  // request (tools, response_format, rich messages…).
  return { ...body, ...extra };
}
