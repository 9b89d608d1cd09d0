import { sequentialId, type ReplyPlan } from '../reply.js';
import { lastUserText, sseFrame, textLength, withEcho } from './sse.js';
import type { WireErrorSpec, WireFormat, WireRequestInfo } from './wire-format.js';

/** Default error `type` and message per status, as the Messages API sends them. */
const STATUS_ERRORS: Readonly<Record<number, { type: string; message: string }>> = {
  400: { type: 'invalid_request_error', message: 'Invalid request.' },
  401: { type: 'authentication_error', message: 'invalid x-api-key' },
  402: { type: 'billing_error', message: 'Your credit balance is too low to access the Anthropic API.' },
  403: { type: 'permission_error', message: 'Your API key does not have permission to use the specified resource.' },
  404: { type: 'not_found_error', message: 'Not found.' },
  413: { type: 'request_too_large', message: 'Request exceeds the maximum allowed number of bytes.' },
  429: {
    type: 'rate_limit_error',
    message:
      'Number of request tokens has exceeded your per-minute rate limit (https://docs.anthropic.com/en/api/rate-limits); see the response headers for current usage. Please reduce the prompt length or the maximum tokens requested, or try again later.',
  },
  500: { type: 'api_error', message: 'Internal server error' },
  504: { type: 'timeout_error', message: 'Request timed out' },
  529: { type: 'overloaded_error', message: 'Overloaded' },
};

/** Messages for codes the OpenAI wire names, so one script reads the same on both wires. */
const CODE_MESSAGES: Readonly<Record<string, string>> = {
  context_length_exceeded: 'prompt is too long: 210000 tokens > 200000 maximum',
  content_policy_violation: 'Output blocked by content filtering policy',
};

function errorFields(plan: ReplyPlan, status: number, spec: WireErrorSpec) {
  const base = STATUS_ERRORS[status] ?? {
    type: status >= 500 ? 'api_error' : 'invalid_request_error',
    message: `Request failed with status ${status}.`,
  };
  const fallbackMessage = status === 404 ? `model: ${plan.model}` : base.message;
  return {
    type: spec.type ?? base.type,
    message: withEcho(spec.message ?? (spec.code ? CODE_MESSAGES[spec.code] : undefined) ?? fallbackMessage, plan, spec.echoRequest),
    // Newer API versions carry a stable code in `details.error_code`; only sent when scripted.
    ...(spec.code ? { details: { error_code: spec.code } } : {}),
  };
}

/**
 * The `usage` object as the plan reports it (`undefined`: omitted). Anthropic's `input_tokens`
 * EXCLUDES cache reads and writes, which come in their own fields.
 */
function usage(plan: ReplyPlan, outputTokens: unknown): unknown {
  const { report } = plan;
  if (report === 'omit') return undefined;
  if (report === null) return null;
  const { inputTokens, cacheReadTokens, cacheWriteTokens } = report;
  const uncached =
    typeof inputTokens === 'number' && typeof cacheReadTokens === 'number' && typeof cacheWriteTokens === 'number'
      ? inputTokens - cacheReadTokens - cacheWriteTokens
      : inputTokens;
  return {
    input_tokens: uncached,
    cache_creation_input_tokens: cacheWriteTokens,
    cache_read_input_tokens: cacheReadTokens,
    output_tokens: outputTokens,
    service_tier: 'standard',
  };
}

function withUsage(plan: ReplyPlan, outputTokens: unknown): { usage?: unknown } {
  return plan.report === 'omit' ? {} : { usage: usage(plan, outputTokens) };
}

/** The reported output count (for `message_delta` and the JSON body). */
function reportedOutput(plan: ReplyPlan): unknown {
  return plan.report === 'omit' || plan.report === null ? undefined : plan.report.outputTokens;
}

function message(plan: ReplyPlan, content: unknown[], stopReason: string | null, outputTokens: unknown) {
  return {
    id: plan.id,
    type: 'message',
    role: 'assistant',
    model: plan.model,
    content,
    stop_reason: stopReason,
    stop_sequence: null,
    ...withUsage(plan, outputTokens),
  };
}

/** `tool_choice: { type: 'tool', name }`: the tool a request forces. */
function forcedTool(choice: unknown): string | undefined {
  if (typeof choice !== 'object' || choice === null) return undefined;
  const { type, name } = choice as Record<string, unknown>;
  return type === 'tool' && typeof name === 'string' ? name : undefined;
}

/** The forced tool's input: the reply text as a JSON object; undefined when no tool was forced or the text is not one. */
function toolInput(plan: ReplyPlan): Record<string, unknown> | undefined {
  if (plan.toolName === undefined) return undefined;
  // Asked once per frame of a stream: parse the text once per reply.
  if (!toolInputs.has(plan)) toolInputs.set(plan, parseToolInput(plan.text));
  return toolInputs.get(plan);
}

const toolInputs = new WeakMap<ReplyPlan, Record<string, unknown> | undefined>();

function parseToolInput(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** The text of the last message when it is the assistant's (a prefill the reply continues). */
function trailingAssistantText(messages: unknown): string | undefined {
  if (!Array.isArray(messages) || messages.length === 0) return undefined;
  const last = messages[messages.length - 1] as { role?: unknown; content?: unknown } | null;
  if (last?.role !== 'assistant') return undefined;
  if (typeof last.content === 'string') return last.content;
  if (!Array.isArray(last.content)) return undefined;
  return last.content.map((part: { text?: unknown } | null) => (typeof part?.text === 'string' ? part.text : '')).join('');
}

/** Anthropic Messages (`POST /v1/messages`). Every SSE frame has an `event:` line. */
export const anthropicWire: WireFormat = {
  name: 'anthropic',
  path: '/v1/messages',
  defaultModel: 'claude-sonnet-4-5',
  idPrefix: 'msg_',
  errorEventStatus: 529,
  lengthFinishReason: 'max_tokens',

  readRequest(body, headers): WireRequestInfo {
    const record = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
    return {
      model: typeof record['model'] === 'string' ? record['model'] : undefined,
      stream: record['stream'] === true,
      includeUsage: false,
      promptChars: textLength(record['messages']) + textLength(record['system']),
      maxTokens: typeof record['max_tokens'] === 'number' && Number.isFinite(record['max_tokens']) ? record['max_tokens'] : undefined,
      // SDK 1.x sends the key as a bearer token; older clients and curl use x-api-key.
      apiKey: headers['x-api-key'] || headers['authorization']?.replace(/^Bearer\s+/i, '') || undefined,
      lastUserText: lastUserText(record['messages']),
      forcedTool: forcedTool(record['tool_choice']),
      prefill: trailingAssistantText(record['messages']),
    };
  },

  baseHeaders(plan) {
    const reset = new Date(Math.ceil(plan.created + 1) * 1000).toISOString().replace('.000Z', 'Z');
    return {
      'request-id': plan.requestId,
      'anthropic-organization-id': '00000000-0000-4000-8000-000000000000',
      'anthropic-ratelimit-requests-limit': '4000',
      'anthropic-ratelimit-requests-remaining': '3999',
      'anthropic-ratelimit-requests-reset': reset,
      'anthropic-ratelimit-input-tokens-limit': '400000',
      'anthropic-ratelimit-input-tokens-remaining': String(400000 - plan.usage.inputTokens),
      'anthropic-ratelimit-input-tokens-reset': reset,
      'anthropic-ratelimit-output-tokens-limit': '80000',
      'anthropic-ratelimit-output-tokens-remaining': String(80000 - plan.usage.outputTokens),
      'anthropic-ratelimit-output-tokens-reset': reset,
    };
  },

  json(plan) {
    const input = toolInput(plan);
    if (input) {
      const block = { type: 'tool_use', id: sequentialId('toolu_', 0), name: plan.toolName, input };
      return message(plan, [block], plan.finishReason ?? 'tool_use', reportedOutput(plan));
    }
    return message(plan, [{ type: 'text', text: plan.text }], plan.finishReason ?? 'end_turn', reportedOutput(plan));
  },

  streamStart(plan) {
    const block = toolInput(plan) ? { type: 'tool_use', id: sequentialId('toolu_', 0), name: plan.toolName, input: {} } : { type: 'text', text: '' };
    return [
      // The real API reports 1 output token at the start and the total in message_delta.
      sseFrame({ type: 'message_start', message: message(plan, [], null, 1) }, 'message_start'),
      sseFrame({ type: 'content_block_start', index: 0, content_block: block }, 'content_block_start'),
      sseFrame({ type: 'ping' }, 'ping'),
    ];
  },

  streamDelta(plan, text) {
    const delta = toolInput(plan) ? { type: 'input_json_delta', partial_json: text } : { type: 'text_delta', text };
    return sseFrame({ type: 'content_block_delta', index: 0, delta }, 'content_block_delta');
  },

  streamFinish(plan) {
    return [
      sseFrame({ type: 'content_block_stop', index: 0 }, 'content_block_stop'),
      sseFrame(
        {
          type: 'message_delta',
          delta: { stop_reason: plan.finishReason ?? (toolInput(plan) ? 'tool_use' : 'end_turn'), stop_sequence: null },
          // Cumulative, as the API sends it now: the input fields repeat message_start's.
          ...withUsage(plan, reportedOutput(plan)),
        },
        'message_delta',
      ),
    ];
  },

  streamEnd() {
    return [sseFrame({ type: 'message_stop' }, 'message_stop')];
  },

  malformedFrame() {
    return 'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"\n\n';
  },

  errorFrame(plan, spec) {
    const fields = errorFields(plan, 529, spec);
    return sseFrame({ type: 'error', error: fields, request_id: plan.requestId }, 'error');
  },

  errorBody(plan, status, spec) {
    return { type: 'error', error: errorFields(plan, status, spec), request_id: plan.requestId };
  },
};
