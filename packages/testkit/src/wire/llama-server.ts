import type { ReplyPlan } from '../reply.js';
import { estimateTokens } from '../reply.js';
import { openaiWire } from './openai.js';
import { sseFrame, textLength } from './sse.js';
import type { WireErrorSpec, WireFormat } from './wire-format.js';

/**
 * llama-server's flavour of the OpenAI wire (tools/server in llama.cpp): the same chat
 * completions, plus `timings` on the completion and on a stream's last chunk, and errors shaped
 * `{ error: { code: <status>, message, type } }` with llama's own types
 * (`exceed_context_size_error` carries `n_prompt_tokens` and `n_ctx`).
 */

/** Deterministic prefill/decode timings for a plan: 1 ms a prompt token, 2 ms an output token. */
export function llamaTimings(plan: ReplyPlan): Record<string, number> {
  const promptN = plan.usage.inputTokens - plan.usage.cacheReadTokens;
  const predictedN = plan.usage.outputTokens;
  return {
    cache_n: plan.usage.cacheReadTokens,
    prompt_n: promptN,
    prompt_ms: promptN,
    prompt_per_token_ms: 1,
    prompt_per_second: 1000,
    predicted_n: predictedN,
    predicted_ms: 2 * predictedN,
    predicted_per_token_ms: 2,
    predicted_per_second: 500,
  };
}

const LLAMA_ERROR_TYPES: Readonly<Record<number, string>> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  500: 'server_error',
  501: 'not_supported_error',
  503: 'unavailable_error',
};

function llamaError(plan: ReplyPlan, status: number, spec: WireErrorSpec): Record<string, unknown> {
  const type = spec.type ?? LLAMA_ERROR_TYPES[status] ?? (status >= 500 ? 'server_error' : 'invalid_request_error');
  const error: Record<string, unknown> = { code: status, message: spec.message ?? defaultMessage(type), type };
  if (type === 'exceed_context_size_error') {
    error['n_prompt_tokens'] = plan.usage.inputTokens;
    error['n_ctx'] = 512;
  }
  return error;
}

function defaultMessage(type: string): string {
  switch (type) {
    case 'exceed_context_size_error':
      return 'the request exceeds the available context size, try increasing it';
    case 'unavailable_error':
      return 'Loading model';
    default:
      return 'Request failed.';
  }
}

function usageOf(plan: ReplyPlan): Record<string, unknown> | undefined {
  const { report } = plan;
  if (report === 'omit' || report === null) return undefined;
  const { inputTokens, outputTokens, cacheReadTokens } = report;
  return {
    completion_tokens: outputTokens,
    prompt_tokens: inputTokens,
    total_tokens: typeof inputTokens === 'number' && typeof outputTokens === 'number' ? inputTokens + outputTokens : null,
    prompt_tokens_details: { cached_tokens: cacheReadTokens },
  };
}

function chunk(plan: ReplyPlan, choices: unknown[], extra: Record<string, unknown> = {}) {
  return {
    choices,
    created: plan.created,
    id: plan.id,
    model: plan.model,
    system_fingerprint: 'b0-keeltestkit',
    object: 'chat.completion.chunk',
    ...extra,
  };
}

export const llamaServerWire: WireFormat = {
  ...openaiWire,
  name: 'llama-server',
  defaultModel: 'stories260K.gguf',

  baseHeaders() {
    return { server: 'llama.cpp' };
  },

  json(plan) {
    const usage = usageOf(plan);
    return {
      choices: [{ finish_reason: plan.finishReason ?? 'stop', index: 0, message: { role: 'assistant', content: plan.text } }],
      created: plan.created,
      model: plan.model,
      system_fingerprint: 'b0-keeltestkit',
      object: 'chat.completion',
      ...(usage ? { usage } : {}),
      id: plan.id,
      timings: llamaTimings(plan),
    };
  },

  streamStart(plan) {
    return [sseFrame(chunk(plan, [{ finish_reason: null, index: 0, delta: { role: 'assistant', content: null } }]))];
  },

  streamDelta(plan, text) {
    return sseFrame(chunk(plan, [{ finish_reason: null, index: 0, delta: { content: text } }]));
  },

  streamFinish(plan) {
    const usage = plan.includeUsage ? usageOf(plan) : undefined;
    const finish = chunk(plan, [{ finish_reason: plan.finishReason ?? 'stop', index: 0, delta: {} }]);
    // Like llama-server: `timings` ride on the last chunk, the usage chunk when there is one.
    if (!usage) return [sseFrame({ ...finish, timings: llamaTimings(plan) })];
    return [sseFrame(finish), sseFrame(chunk(plan, [], { usage, timings: llamaTimings(plan) }))];
  },

  errorFrame(plan, spec) {
    return sseFrame({ error: llamaError(plan, 500, spec) });
  },

  errorBody(plan, status, spec) {
    return { error: llamaError(plan, status, spec) };
  },
};

/** What the test server's route hook answers for a route outside the wire formats. */
export interface RouteReply {
  readonly status: number;
  /** JSON-encoded unless a string. */
  readonly body: unknown;
  readonly contentType?: string | undefined;
}

/** A request as a route hook sees it. */
export interface RouteRequest {
  readonly method: string;
  readonly path: string;
  readonly body: unknown;
}

export interface LlamaServerEmulatorOptions {
  /** `--parallel`. @default 1 */
  readonly slots?: number | undefined;
  /** Context per slot. @default 512 */
  readonly slotContext?: number | undefined;
  /** Start in the loading state (every route answers 503 "Loading model") until `ready()`. @default false */
  readonly loading?: boolean | undefined;
  /** Answer this many `/health` checks with 503 and then turn ready by itself. */
  readonly loadingHealthChecks?: number | undefined;
  /** Vector length of `/v1/embeddings`. @default 64 */
  readonly embeddingDimensions?: number | undefined;
}

/** The llama-server-only routes, emulated: pass `handle` as the test server's `routes`. */
export interface LlamaServerEmulator {
  readonly handle: (request: RouteRequest) => RouteReply | undefined;
  /** Ends the loading state. */
  ready(): void;
  readonly loading: boolean;
  /** Chat requests in flight, as `/metrics` and `/slots` report them; the caller keeps it. */
  processing: number;
}

const LOADING: RouteReply = { status: 503, body: { error: { code: 503, message: 'Loading model', type: 'unavailable_error' } } };

/** Tokens of a text the way the emulator's chat usage counts them (a quarter of the characters). */
function tokenIds(content: string): number[] {
  return Array.from({ length: estimateTokens(content.length) }, (_, i) => (content.charCodeAt(i * 4) * 31 + i) % 512);
}

/** A deterministic unit vector for a text. */
function embedding(text: string, dimensions: number): number[] {
  const raw = Array.from({ length: dimensions }, (_, i) => Math.sin((text.charCodeAt(i % Math.max(text.length, 1)) || 1) * (i + 1)));
  const norm = Math.hypot(...raw) || 1;
  return raw.map((value) => value / norm);
}

export function createLlamaServerEmulator(options: LlamaServerEmulatorOptions = {}): LlamaServerEmulator {
  const slots = options.slots ?? 1;
  const slotContext = options.slotContext ?? 512;
  const dimensions = options.embeddingDimensions ?? 64;
  let loading = options.loading ?? options.loadingHealthChecks !== undefined;
  let healthLeft = options.loadingHealthChecks;

  const emulator: LlamaServerEmulator = {
    processing: 0,
    get loading() {
      return loading;
    },
    ready() {
      loading = false;
    },
    handle({ method, path, body }) {
      const record = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
      if (loading) {
        if (path === '/health' && healthLeft !== undefined && --healthLeft < 0) loading = false;
        else return LOADING;
      }
      switch (`${method} ${path}`) {
        case 'GET /health':
          return { status: 200, body: { status: 'ok' } };
        case 'GET /props':
          return {
            status: 200,
            body: {
              default_generation_settings: { params: {}, n_ctx: slotContext },
              total_slots: slots,
              model_alias: 'stories260K.gguf',
              model_path: 'stories260K.gguf',
              chat_template: '{{ chatml }}',
              build_info: 'b0-keeltestkit',
              is_sleeping: false,
            },
          };
        case 'GET /slots':
          return {
            status: 200,
            body: Array.from({ length: slots }, (_, id) => ({ id, n_ctx: slotContext, is_processing: id < emulator.processing })),
          };
        case 'GET /metrics': {
          const gauges = { requests_processing: Math.min(emulator.processing, slots), requests_deferred: Math.max(0, emulator.processing - slots) };
          const text = Object.entries(gauges)
            .map(([name, value]) => `# HELP llamacpp:${name} ${name}\n# TYPE llamacpp:${name} gauge\nllamacpp:${name} ${value}\n`)
            .join('');
          return { status: 200, body: text, contentType: 'text/plain; version=0.0.4' };
        }
        case 'POST /tokenize':
          return { status: 200, body: { tokens: typeof record['content'] === 'string' ? tokenIds(record['content']) : [] } };
        case 'POST /v1/chat/completions/input_tokens':
          return { status: 200, body: { input_tokens: estimateTokens(textLength(record['messages'])), object: 'response.input_tokens' } };
        case 'POST /v1/embeddings': {
          const input = record['input'];
          const texts = Array.isArray(input) ? input.map(String) : [String(input)];
          return {
            status: 200,
            body: {
              model: typeof record['model'] === 'string' ? record['model'] : 'default',
              object: 'list',
              usage: { prompt_tokens: texts.reduce((sum, text) => sum + estimateTokens(text.length), 0), total_tokens: 0 },
              data: texts.map((text, index) => ({ embedding: embedding(text, dimensions), index, object: 'embedding' })),
            },
          };
        }
        default:
          return undefined;
      }
    },
  };
  return emulator;
}
