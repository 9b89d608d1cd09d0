import type { ReplyPlan } from '../reply.js';
import { lastUserText, sseFrame, textLength, withEcho } from './sse.js';
import type { WireErrorSpec, WireFormat, WireRequestInfo } from './wire-format.js';

/** Shape of `error` in an OpenAI error body. */
interface OpenAIErrorFields {
  message: string;
  type: string;
  param: string | null;
  code: string | null;
}

const SYSTEM_FINGERPRINT = 'fp_keeltestkit';

/**
 * Quotes a key the way the API's 401 message does (`sk-proj-***abcd`) without ever repeating
 * the key itself: only the prefix and, for a long key, the last four characters.
 */
export function maskApiKey(key: string | undefined): string {
  if (key === undefined || key === '') return 'sk-***';
  const prefix = /^sk-(proj-|svcacct-|admin-)?/.exec(key)?.[0] ?? '';
  return key.length >= 12 ? `${prefix}***${key.slice(-4)}` : `${prefix}***`;
}

function readBearer(headers: Readonly<Record<string, string>>): string | undefined {
  const value = headers['authorization'];
  return value?.replace(/^Bearer\s+/i, '') || undefined;
}

/** Defaults by code first (several codes share a status), then by status. */
function defaultError(plan: ReplyPlan, status: number, code: string | undefined): OpenAIErrorFields {
  switch (code) {
    case 'context_length_exceeded':
      return {
        type: 'invalid_request_error',
        param: 'messages',
        code,
        message: `This model's maximum context length is 128000 tokens. However, your messages resulted in ${Math.max(128001, plan.usage.inputTokens)} tokens. Please reduce the length of the messages.`,
      };
    case 'content_policy_violation':
      return {
        type: 'invalid_request_error',
        param: null,
        code,
        message: 'Your request was rejected as a result of our safety system. Your prompt may contain text that is not allowed by our safety system.',
      };
    case 'insufficient_quota':
      return {
        type: 'insufficient_quota',
        param: null,
        code,
        message: 'You exceeded your current quota, please check your plan and billing details. For more information on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.',
      };
    default:
      break;
  }
  switch (status) {
    case 400:
      return { type: 'invalid_request_error', param: null, code: null, message: 'Invalid request.' };
    case 401:
      return {
        type: 'invalid_request_error',
        param: null,
        code: 'invalid_api_key',
        message: `Incorrect API key provided: ${maskApiKey(plan.apiKey)}. You can find your API key at https://platform.openai.com/account/api-keys.`,
      };
    case 403:
      return { type: 'invalid_request_error', param: null, code: null, message: `You are not allowed to sample from this model.` };
    case 404:
      return {
        type: 'invalid_request_error',
        param: null,
        code: 'model_not_found',
        message: `The model \`${plan.model}\` does not exist or you do not have access to it.`,
      };
    case 429:
      return {
        type: 'requests',
        param: null,
        code: 'rate_limit_exceeded',
        message: `Rate limit reached for ${plan.model} in organization org-keeltestkit on requests per min (RPM): Limit 500, Used 500, Requested 1. Please try again in 120ms. Visit https://platform.openai.com/account/rate-limits to learn more.`,
      };
    case 500:
      return { type: 'server_error', param: null, code: null, message: 'The server had an error while processing your request. Sorry about that!' };
    case 503:
      return { type: 'server_error', param: null, code: null, message: 'The engine is currently overloaded, please try again later.' };
    default:
      return {
        type: status >= 500 ? 'server_error' : 'invalid_request_error',
        param: null,
        code: null,
        message: `Request failed with status ${status}.`,
      };
  }
}

function errorFields(plan: ReplyPlan, status: number, spec: WireErrorSpec): OpenAIErrorFields {
  const base = defaultError(plan, status, spec.code);
  return {
    message: withEcho(spec.message ?? base.message, plan, spec.echoRequest),
    type: spec.type ?? base.type,
    param: spec.param ?? base.param,
    code: spec.code ?? base.code,
  };
}

/** The `usage` object as the plan reports it; `undefined` when the reply omits it. */
function usage(plan: ReplyPlan): unknown {
  const { report } = plan;
  if (report === 'omit') return undefined;
  if (report === null) return null;
  const { inputTokens, outputTokens } = report;
  return {
    // OpenAI counts cached tokens inside prompt_tokens and reports them apart as well.
    prompt_tokens: inputTokens,
    completion_tokens: outputTokens,
    total_tokens: typeof inputTokens === 'number' && typeof outputTokens === 'number' ? inputTokens + outputTokens : null,
    prompt_tokens_details: { cached_tokens: report.cacheReadTokens, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: 0,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  };
}

/** A `chat.completion.chunk`; with include_usage every chunk carries `usage: null` but the last. */
function chunk(plan: ReplyPlan, choices: unknown[], usageValue: unknown = null) {
  return {
    id: plan.id,
    object: 'chat.completion.chunk',
    created: plan.created,
    model: plan.model,
    service_tier: 'default',
    system_fingerprint: SYSTEM_FINGERPRINT,
    choices,
    ...(plan.includeUsage ? { usage: usageValue } : {}),
  };
}

function choiceDelta(delta: Record<string, unknown>, finishReason: string | null = null) {
  return { index: 0, delta, logprobs: null, finish_reason: finishReason };
}

function cap(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** OpenAI Chat Completions (`POST /v1/chat/completions`). */
export const openaiWire: WireFormat = {
  name: 'openai',
  path: '/v1/chat/completions',
  defaultModel: 'gpt-4o-mini',
  idPrefix: 'chatcmpl-',
  errorEventStatus: 500,
  lengthFinishReason: 'length',

  readRequest(body, headers): WireRequestInfo {
    const record = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
    const options = record['stream_options'] as Record<string, unknown> | null | undefined;
    return {
      model: typeof record['model'] === 'string' ? record['model'] : undefined,
      stream: record['stream'] === true,
      includeUsage: record['stream'] === true && options?.['include_usage'] === true,
      promptChars: textLength(record['messages']),
      maxTokens: cap(record['max_completion_tokens']) ?? cap(record['max_tokens']),
      apiKey: readBearer(headers),
      lastUserText: lastUserText(record['messages']),
      logprobs: record['logprobs'] === true,
    };
  },

  baseHeaders(plan) {
    return {
      'x-request-id': plan.requestId,
      'openai-organization': 'keel-testkit',
      'openai-processing-ms': '7',
      'openai-version': '2020-10-01',
      'x-ratelimit-limit-requests': '10000',
      'x-ratelimit-remaining-requests': '9999',
      'x-ratelimit-reset-requests': '6ms',
      'x-ratelimit-limit-tokens': '200000',
      'x-ratelimit-remaining-tokens': String(200000 - plan.usage.inputTokens),
      'x-ratelimit-reset-tokens': '0s',
    };
  },

  json(plan) {
    return {
      id: plan.id,
      object: 'chat.completion',
      created: plan.created,
      model: plan.model,
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: plan.text, refusal: null, annotations: [] },
          logprobs: plan.logprobs
            ? { content: plan.chunks.map((token, i) => ({ token, logprob: plan.logprobs![i], bytes: [...Buffer.from(token)], top_logprobs: [] })), refusal: null }
            : null,
          finish_reason: plan.finishReason ?? 'stop',
        },
      ],
      ...(plan.report === 'omit' ? {} : { usage: usage(plan) }),
      service_tier: 'default',
      system_fingerprint: SYSTEM_FINGERPRINT,
    };
  },

  streamStart(plan) {
    return [sseFrame(chunk(plan, [choiceDelta({ role: 'assistant', content: '', refusal: null })]))];
  },

  streamDelta(plan, text) {
    return sseFrame(chunk(plan, [choiceDelta({ content: text })]));
  },

  streamFinish(plan) {
    const frames = [sseFrame(chunk(plan, [choiceDelta({}, plan.finishReason ?? 'stop')]))];
    // A reply that reports no usage (omitted or null) sends no usage chunk.
    if (plan.includeUsage && plan.report !== 'omit' && plan.report !== null) frames.push(sseFrame(chunk(plan, [], usage(plan))));
    return frames;
  },

  streamEnd() {
    return [sseFrame('[DONE]')];
  },

  malformedFrame(plan) {
    // A chunk cut mid-object, as a proxy that truncates a line would leave it.
    return `data: {"id":"${plan.id}","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"\n\n`;
  },

  errorFrame(plan, spec) {
    return sseFrame({ error: errorFields(plan, 500, spec) });
  },

  errorBody(plan, status, spec) {
    return { error: errorFields(plan, status, spec) };
  },
};
