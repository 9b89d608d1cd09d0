import type OpenAI from 'openai';
import type { Embedder } from '@keel/core';
import { malformedResponseError } from './adapter-errors.js';
import { secretsOf } from './client.js';
import { mapOpenAIError, type ErrorContext } from './map-error.js';

export interface OpenAIEmbedderOptions {
  /**
   * The `openai` client, used as given: embedding calls are not behind Keel's retry policy, so
   * the client's own retries and timeout apply.
   */
  readonly client: OpenAI;
  /** e.g. `text-embedding-3-small`. */
  readonly model: string;
  /** Asks the API for shorter vectors (text-embedding-3 models). */
  readonly dimensions?: number | undefined;
  /** Names the provider in errors and in the embedder id. @default 'openai' */
  readonly provider?: string | undefined;
}

/** The API takes at most 2048 inputs per request. */
const MAX_BATCH = 2048;

/**
 * A Keel {@link Embedder} over the `openai` client's `embeddings.create`. Failures are
 * KeelErrors through the adapter's error mapping (with the key and the embedded texts scrubbed
 * from messages); its id names provider, model and dimensions, so vectors of different
 * embedders are never compared.
 */
export function createOpenAIEmbedder(options: OpenAIEmbedderOptions): Embedder {
  const { client, model, dimensions } = options;
  const provider = options.provider ?? 'openai';
  const errorContext = (texts: readonly string[], signal: AbortSignal | undefined): ErrorContext => ({
    provider,
    model,
    signal,
    get secrets() {
      return secretsOf(client);
    },
    get requestContent() {
      return { texts: [...texts], fragments: [] };
    },
  });

  async function embedBatch(texts: readonly string[], signal: AbortSignal | undefined): Promise<Float32Array[]> {
    const context = errorContext(texts, signal);
    let response: OpenAI.Embeddings.CreateEmbeddingResponse;
    try {
      response = await client.embeddings.create(
        { model, input: [...texts], ...(dimensions !== undefined ? { dimensions } : {}) },
        { signal },
      );
    } catch (error) {
      throw mapOpenAIError(error, context);
    }
    const data = (response as Partial<OpenAI.Embeddings.CreateEmbeddingResponse> | null)?.data;
    if (!Array.isArray(data) || data.length !== texts.length) {
      throw malformedResponseError(context, `expected ${texts.length} embeddings, got ${Array.isArray(data) ? data.length : 'none'}`);
    }
    const vectors: Float32Array[] = new Array<Float32Array>(texts.length);
    for (const [position, item] of data.entries()) {
      const index = typeof item.index === 'number' ? item.index : position;
      const values: unknown = item.embedding;
      if (!Array.isArray(values) || values.length === 0 || !values.every((v) => typeof v === 'number' && Number.isFinite(v))) {
        throw malformedResponseError(context, `embedding ${index} is not an array of numbers`);
      }
      if (index < 0 || index >= texts.length || vectors[index]) throw malformedResponseError(context, `embedding index ${index} is out of place`);
      vectors[index] = Float32Array.from(values as number[]);
    }
    return vectors;
  }

  return {
    id: `${provider}:${model}${dimensions !== undefined ? `:${dimensions}` : ''}`,
    dimensions,
    async embed(texts, embedOptions) {
      const out: Float32Array[] = [];
      for (let start = 0; start < texts.length; start += MAX_BATCH) {
        out.push(...(await embedBatch(texts.slice(start, start + MAX_BATCH), embedOptions?.signal)));
      }
      return out;
    },
  };
}
