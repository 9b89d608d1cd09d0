import type { ProviderRequest } from '@keel/core';

/** The chat.completions body shared by `chat` and `stream`, before the stream flags. */
export function buildBody(request: ProviderRequest): Record<string, unknown> {
  const extra = request.extra ?? {};
  const body: Record<string, unknown> = {
    model: request.model,
    messages: request.messages.map(({ role, content }) => ({ role, content })),
  };
  // Reasoning models reject any temperature but the default, so send it only when asked.
  if (request.temperature !== undefined) body['temperature'] = request.temperature;
  // Set by keel.object only when supportsOutputSchema said the schema fits the strict subset.
  if (request.outputSchema) {
    const { name, schema, strict } = request.outputSchema;
    body['response_format'] = { type: 'json_schema', json_schema: { name, schema, strict } };
  }
  // A cascade's confidence gate reads the output tokens' logprobs.
  if (request.logprobs) body['logprobs'] = true;
  // `extra` goes in last: the drop-in wrapper uses it to pass the original request (tools,
  // response_format, rich messages…). Only the output cap is Keel's to set, below.
  const sent: Record<string, unknown> = { ...body, ...extra };
  if (request.maxTokens !== undefined) {
    // Keel's cap (the budget's grant) always wins: a cap in `extra` is lowered to it, in the
    // field the caller used — `max_completion_tokens` replaced the deprecated `max_tokens`, which
    // reasoning models reject, but an older OpenAI-compatible server may want `max_tokens`.
    const own = CAP_FIELDS.filter((field) => typeof extra[field] === 'number');
    if (own.length === 0) sent['max_completion_tokens'] = request.maxTokens;
    for (const field of own) sent[field] = Math.min(extra[field] as number, request.maxTokens);
  }
  return sent;
}

const CAP_FIELDS = ['max_completion_tokens', 'max_tokens'] as const;
