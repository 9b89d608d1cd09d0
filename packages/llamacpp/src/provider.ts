import OpenAI from 'openai';
import { createOpenAIProvider } from '@keel/openai';
import { systemClock, type CallContext, type Clock, type Embedder, type Provider, type ProviderRequest, type ProviderResponse, type ProviderStreamPart } from '@keel/core';
import { createEmbedder, type LlamaEmbedderOptions } from './embedder.js';
import { isLoadingError, refineError } from './errors.js';
import { createRoutes, type LlamaServerRoutes } from './routes.js';
import { SlotGate } from './slot-gate.js';
import { readTimings, type LlamaTimings } from './timings.js';
import { waitUntilReady } from './wait-ready.js';

export interface LlamaCppProviderOptions {
  /** The server's root URL, e.g. `http://127.0.0.1:8080` (no `/v1`). */
  readonly baseURL: string;
  /** Names this provider in configuration, breaker keys, events and errors. @default 'llamacpp' */
  readonly id?: string | undefined;
  /** The server's `--api-key`, when it was started with one. */
  readonly apiKey?: string | undefined;
  /** A fetch for both the openai client and the llama-only routes. */
  readonly fetch?: typeof fetch | undefined;
  /** The clock the health polling sleeps on. @default systemClock */
  readonly clock?: Clock | undefined;
  /** How often to poll `/health` while the model loads. @default 100 */
  readonly healthPollMs?: number | undefined;
  /**
   * Client-side slot admission: at most `total_slots` (from `/props`, or `slots`) calls in
   * flight, the rest wait within their deadline, more than `maxQueue` waiting are shed with
   * `overloaded`. `false` sends every call at once and lets the server defer the extra ones.
   * @default {} (on, slots from /props, unbounded queue)
   */
  readonly admission?: false | { readonly slots?: number | undefined; readonly maxQueue?: number | undefined } | undefined;
  /**
   * llama-server's `cache_prompt`: reuse the slot's KV cache for a shared prompt prefix. Sent
   * only when set (the server's default is on).
   */
  readonly cachePrompt?: boolean | undefined;
  /** Called with the server's prefill/decode timings of every successful call. */
  readonly onTimings?: ((timings: LlamaTimings, call: { readonly provider: string; readonly model: string }) => void) | undefined;
}

/** A Keel {@link Provider} over llama-server, plus the routes only llama-server has. */
export interface LlamaCppProvider extends Provider {
  /** `/health`, `/props`, `/tokenize`, `/metrics`, `/slots`, `input_tokens` over fetch. */
  readonly routes: LlamaServerRoutes;
  /**
   * The exact prompt tokens of a request as the server will count them (chat template applied,
   * `/v1/chat/completions/input_tokens`). Keel's budgets reserve with a byte bound and settle
   * with the usage the server reports, which is this same count; call this to check a prompt
   * against the slot's context before sending, or to price it ahead.
   */
  countTokens(request: Pick<ProviderRequest, 'model' | 'messages'>, signal?: AbortSignal): Promise<number>;
  /** An {@link Embedder} over `/v1/embeddings` (the server must run with `--embeddings`). */
  embedder(options?: LlamaEmbedderOptions): Embedder;
  /** The slot gate's counts; undefined when admission is off. */
  admissionStats(): { readonly slots: number | undefined; readonly inFlight: number; readonly waiting: number; readonly maxInFlight: number; readonly shed: number } | undefined;
}

/** Creates a provider for one llama-server (one model, `--parallel` slots). */
export function createLlamaCppProvider(options: LlamaCppProviderOptions): LlamaCppProvider {
  const id = options.id ?? 'llamacpp';
  const root = options.baseURL.replace(/\/+$/, '');
  const clock = options.clock ?? systemClock;
  const pollMs = options.healthPollMs ?? 100;
  // llama-server ignores the key unless it runs with --api-key; the SDK insists on one.
  const client = new OpenAI({ baseURL: `${root}/v1`, apiKey: options.apiKey ?? 'no-key', ...(options.fetch ? { fetch: options.fetch } : {}) });
  const openai = createOpenAIProvider({ client, id });
  const routes = createRoutes({ baseURL: root, apiKey: options.apiKey, fetch: options.fetch, provider: id });
  const admission = options.admission === false ? undefined : options.admission ?? {};
  const gate = admission ? new SlotGate({ provider: id, maxQueue: admission.maxQueue }) : undefined;
  if (gate && admission?.slots !== undefined) gate.setCapacity(admission.slots);

  const ready = (signal: AbortSignal) => waitUntilReady(routes, { signal, clock, pollMs, provider: id });

  /** Holds a slot for the call; the first calls learn the slot count from /props. */
  async function admit(signal: AbortSignal): Promise<() => void> {
    if (!gate) return () => {};
    if (gate.capacity === undefined) {
      await ready(signal);
      gate.setCapacity((await routes.props(signal)).totalSlots);
    }
    return gate.acquire(signal);
  }

  function llamaRequest(request: ProviderRequest): ProviderRequest {
    const extra: Record<string, unknown> = { ...request.extra };
    if (request.outputSchema) extra['json_schema'] = request.outputSchema.schema;
    if (options.cachePrompt !== undefined && extra['cache_prompt'] === undefined) extra['cache_prompt'] = options.cachePrompt;
    // The raw completion carries `timings`; it is dropped again unless the caller asked for it.
    return { ...request, extra, includeRaw: true };
  }

  function report(body: unknown, model: string): void {
    const timings = readTimings(body);
    if (timings) options.onTimings?.(timings, { provider: id, model });
  }

  async function chat(request: ProviderRequest, context: CallContext): Promise<ProviderResponse> {
    const release = await admit(context.signal);
    try {
      const sent = llamaRequest(request);
      for (;;) {
        try {
          const { raw, ...response } = await openai.chat(sent, context);
          report(raw, response.model);
          return request.includeRaw ? { ...response, raw } : response;
        } catch (error) {
          if (!isLoadingError(error)) throw refineError(error);
          await ready(context.signal);
        }
      }
    } finally {
      release();
    }
  }

  async function* stream(request: ProviderRequest, context: CallContext): AsyncGenerator<ProviderStreamPart, void, undefined> {
    const release = await admit(context.signal);
    try {
      const sent = llamaRequest(request);
      for (;;) {
        let started = false;
        try {
          for await (const part of openai.stream(sent, context)) {
            started = true;
            if (part.type === 'raw') {
              report(part.chunk, request.model);
              if (!request.includeRaw) continue;
            } else if (part.type === 'text' && part.raw !== undefined) {
              // A text part may carry its chunk (asked for above to read timings): pass it on only if the caller asked.
              report(part.raw, request.model);
              if (!request.includeRaw) {
                yield { type: 'text', text: part.text };
                continue;
              }
            }
            yield part;
          }
          return;
        } catch (error) {
          // A loading server answers before any chunk; anything later is a real failure.
          if (started || !isLoadingError(error)) throw refineError(error);
          await ready(context.signal);
        }
      }
    } finally {
      release();
    }
  }

  return {
    id,
    routes,
    chat,
    stream,
    // llama-server turns any JSON Schema it can into a grammar; Keel hands it object schemas.
    supportsOutputSchema: (_model, schema) => typeof schema === 'object' && schema !== null,
    countTokens: (request, signal) =>
      routes.inputTokens({ model: request.model, messages: request.messages.map(({ role, content }) => ({ role, content })) }, signal),
    embedder: (embedderOptions) => createEmbedder(client, id, embedderOptions),
    admissionStats: () => (gate ? { slots: gate.capacity, ...gate.stats() } : undefined),
  };
}
