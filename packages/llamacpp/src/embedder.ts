import type OpenAI from 'openai';
import { KeelError, type Embedder } from '@keel/core';
import { mapOpenAIError } from '@keel/openai';
import { refineError } from './errors.js';

export interface LlamaEmbedderOptions {
  /** The model name sent (llama-server serves its one loaded model whatever it is). @default 'default' */
  readonly model?: string | undefined;
  /** The vector length, when known ahead (`n_embd` of the model). */
  readonly dimensions?: number | undefined;
}

/** An {@link Embedder} over llama-server's OpenAI-compatible `/v1/embeddings`, through the openai client. */
export function createEmbedder(client: OpenAI, provider: string, options: LlamaEmbedderOptions = {}): Embedder {
  const model = options.model ?? 'default';
  return {
    id: `${provider}:${model}`,
    dimensions: options.dimensions,
    async embed(texts, embedOptions) {
      if (texts.length === 0) return [];
      const signal = embedOptions?.signal;
      let reply: OpenAI.Embeddings.CreateEmbeddingResponse;
      try {
        reply = await client.embeddings.create({ model, input: [...texts], encoding_format: 'float' }, signal ? { signal } : {});
      } catch (error) {
        throw refineError(mapOpenAIError(error, { provider, model, signal, requestContent: { texts: [...texts], fragments: [] } }));
      }
      const vectors: Float32Array[] = [];
      for (const item of reply.data ?? []) {
        if (Array.isArray(item.embedding)) vectors[item.index] = Float32Array.from(item.embedding);
      }
      if (vectors.length !== texts.length || vectors.some((vector) => vector === undefined)) {
        throw new KeelError('server', `llama-server sent ${reply.data?.length ?? 0} embeddings for ${texts.length} texts`, { provider, model });
      }
      return vectors;
    },
  };
}
