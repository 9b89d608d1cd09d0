import { errorDetail, KeelError, transportFailure } from '@keel/core';

/**
 * The llama-server-only routes (`/health`, `/props`, `/tokenize`, `/metrics`, `/slots`, …) over
 * plain `fetch`. Everything in the OpenAI wire format (chat, streams, embeddings) goes through
 * the `openai` client instead: one HTTP path per wire format.
 */
export interface LlamaServerRoutes {
  /** `GET /health`: `ready` on 200, `loading` on 503 "Loading model". */
  health(signal?: AbortSignal): Promise<LlamaHealth>;
  /** `GET /props`: slots, context per slot, model. */
  props(signal?: AbortSignal): Promise<LlamaProps>;
  /** `POST /tokenize`: the model's own token ids for `content`. */
  tokenize(content: string, options?: { readonly addSpecial?: boolean; readonly signal?: AbortSignal }): Promise<number[]>;
  /**
   * `POST /v1/chat/completions/input_tokens`: the exact prompt tokens of a chat request, chat
   * template applied, as the server will count them.
   */
  inputTokens(body: Readonly<Record<string, unknown>>, signal?: AbortSignal): Promise<number>;
  /** `GET /metrics` (needs `--metrics`), parsed from Prometheus text. */
  metrics(signal?: AbortSignal): Promise<LlamaMetrics>;
  /** `GET /slots` (on by default; `--no-slots` turns it off). */
  slots(signal?: AbortSignal): Promise<LlamaSlot[]>;
}

export type LlamaHealth = 'ready' | 'loading';

export interface LlamaProps {
  /** `--parallel`: how many requests the server decodes at once. */
  readonly totalSlots: number;
  /** Context per slot (`--ctx-size` / `--parallel`): prompt + output of one request must fit. */
  readonly slotContext: number;
  readonly modelAlias: string | undefined;
  readonly chatTemplate: string | undefined;
  /** The server's `build_info` (llama.cpp version and commit). */
  readonly buildInfo: string | undefined;
}

/** The `llamacpp:` series of `/metrics` by name without the prefix (`requests_processing`, …). */
export type LlamaMetrics = Readonly<Record<string, number>>;

export interface LlamaSlot {
  readonly id: number;
  readonly isProcessing: boolean;
  readonly nCtx: number | undefined;
}

export interface RoutesOptions {
  /** The server's root URL, without `/v1`. */
  readonly baseURL: string;
  readonly apiKey?: string | undefined;
  readonly fetch?: typeof fetch | undefined;
  readonly provider: string;
}

export function createRoutes(options: RoutesOptions): LlamaServerRoutes {
  const root = options.baseURL.replace(/\/+$/, '');
  const doFetch = options.fetch ?? fetch;
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (options.apiKey) headers['authorization'] = `Bearer ${options.apiKey}`;
  const secrets = options.apiKey ? [options.apiKey] : [];

  async function send(method: 'GET' | 'POST', path: string, body: unknown, signal: AbortSignal | undefined): Promise<Response> {
    try {
      return await doFetch(`${root}${path}`, {
        method,
        headers,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        ...(signal ? { signal } : {}),
      });
    } catch (error) {
      if (signal?.aborted) throw KeelError.is(signal.reason) ? signal.reason : fail('aborted', `llama-server ${path} aborted`, error);
      const transport = transportFailure(error, 'llama-server');
      throw fail(transport?.kind ?? 'connection', transport?.message ?? `llama-server ${path}: ${errorDetail(error)}`, error);
    }
  }

  function fail(kind: 'aborted' | 'connection' | 'timeout' | 'server', message: string, cause: unknown): KeelError {
    return new KeelError(kind, message, { provider: options.provider, cause, secrets });
  }

  async function json(method: 'GET' | 'POST', path: string, body: unknown, signal: AbortSignal | undefined): Promise<unknown> {
    const response = await send(method, path, body, signal);
    const text = await response.text();
    if (!response.ok) throw routeError(path, response.status, text, options.provider, secrets, method === 'GET');
    try {
      return JSON.parse(text) as unknown;
    } catch (error) {
      throw fail('server', `llama-server ${path} sent a body that is not JSON`, error);
    }
  }

  return {
    async health(signal) {
      const response = await send('GET', '/health', undefined, signal);
      const text = await response.text();
      if (response.ok) return 'ready';
      if (response.status === 503 && isLoadingBody(text)) return 'loading';
      throw routeError('/health', response.status, text, options.provider, secrets, true);
    },
    async props(signal) {
      return readProps(await json('GET', '/props', undefined, signal));
    },
    async tokenize(content, tokenizeOptions) {
      const body = { content, add_special: tokenizeOptions?.addSpecial ?? false };
      const reply = (await json('POST', '/tokenize', body, tokenizeOptions?.signal)) as { tokens?: unknown };
      if (!Array.isArray(reply.tokens) || !reply.tokens.every((token) => Number.isInteger(token))) {
        throw fail('server', 'llama-server /tokenize sent no token list', undefined);
      }
      return reply.tokens as number[];
    },
    async inputTokens(body, signal) {
      const reply = (await json('POST', '/v1/chat/completions/input_tokens', body, signal)) as { input_tokens?: unknown };
      if (typeof reply.input_tokens !== 'number' || !Number.isInteger(reply.input_tokens)) {
        throw fail('server', 'llama-server input_tokens sent no count', undefined);
      }
      return reply.input_tokens;
    },
    async metrics(signal) {
      const response = await send('GET', '/metrics', undefined, signal);
      const text = await response.text();
      if (!response.ok) throw routeError('/metrics', response.status, text, options.provider, secrets, true);
      return parseMetrics(text);
    },
    async slots(signal) {
      const reply = await json('GET', '/slots', undefined, signal);
      if (!Array.isArray(reply)) throw fail('server', 'llama-server /slots sent no list', undefined);
      return reply.map((slot: { id?: unknown; is_processing?: unknown; n_ctx?: unknown }) => ({
        id: typeof slot.id === 'number' ? slot.id : -1,
        isProcessing: slot.is_processing === true,
        nCtx: typeof slot.n_ctx === 'number' ? slot.n_ctx : undefined,
      }));
    },
  };
}

/** llama-server answers every route with this body while the model loads. */
export function isLoadingBody(text: string): boolean {
  try {
    const body = JSON.parse(text) as { error?: { type?: unknown; message?: unknown } };
    return body.error?.type === 'unavailable_error' && body.error.message === 'Loading model';
  } catch {
    return false;
  }
}

function readProps(body: unknown): LlamaProps {
  const props = (body ?? {}) as {
    total_slots?: unknown;
    default_generation_settings?: { n_ctx?: unknown };
    model_alias?: unknown;
    chat_template?: unknown;
    build_info?: unknown;
  };
  const totalSlots = props.total_slots;
  const slotContext = props.default_generation_settings?.n_ctx;
  if (typeof totalSlots !== 'number' || totalSlots < 1 || typeof slotContext !== 'number') {
    throw new KeelError('server', 'llama-server /props lacks total_slots or n_ctx');
  }
  const text = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined);
  return {
    totalSlots,
    slotContext,
    modelAlias: text(props.model_alias),
    chatTemplate: text(props.chat_template),
    buildInfo: text(props.build_info),
  };
}

/** `llamacpp:name value` lines of Prometheus text; HELP / TYPE comments and labelled series skipped. */
export function parseMetrics(text: string): LlamaMetrics {
  const metrics: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const match = /^llamacpp:([a-z_]+) (\S+)$/.exec(line.trim());
    if (match) metrics[match[1]!] = Number(match[2]);
  }
  return metrics;
}

/**
 * A non-2xx from a llama-only route, as a KeelError by its status. The server's message is kept
 * only for GET routes: a POST carried request text, which an error message could echo.
 */
function routeError(path: string, status: number, text: string, provider: string, secrets: readonly string[], keepMessage: boolean): KeelError {
  let type: unknown;
  let message: unknown;
  try {
    ({ type, message } = (JSON.parse(text) as { error?: { type?: unknown; message?: unknown } }).error ?? {});
  } catch {
    // Not JSON: the status alone decides.
  }
  const kind =
    status === 503 ? 'overloaded' : status === 401 ? 'auth' : status === 404 || status === 501 ? 'not_found' : status >= 500 ? 'server' : 'bad_request';
  const detail = keepMessage && typeof message === 'string' ? `: ${message.slice(0, 200)}` : '';
  return new KeelError(kind, `llama-server ${path} ${status}${typeof type === 'string' ? ` ${type}` : ''}${detail}`, { status, provider, secrets });
}
