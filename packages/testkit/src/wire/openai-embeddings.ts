import { localEmbedding } from '../embedder/local-embedder.js';
import type { ReplyPlan } from '../reply.js';
import { openaiWire } from './openai.js';
import type { EmbeddingRequest, WireFormat, WireRequestInfo } from './wire-format.js';

/** text-embedding-3-small's native length, used when the request names no `dimensions`. */
export const DEFAULT_EMBEDDING_DIMENSIONS = 1536;

function readInputs(input: unknown): string[] {
  const items = Array.isArray(input) ? (input as unknown[]) : [input];
  // Token arrays (number[]) are embedded through their text form: deterministic, if not meaningful.
  return items.map((item) => (typeof item === 'string' ? item : JSON.stringify(item)));
}

/** A vector as the API sends it: a float array, or base64 of little-endian float32 bytes. */
function encode(vector: Float32Array, encoding: EmbeddingRequest['encoding']): number[] | string {
  if (encoding === 'float') return Array.from(vector);
  return Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength).toString('base64');
}

/**
 * OpenAI Embeddings (`POST /v1/embeddings`): vectors from the testkit's local embedder, in the
 * API's JSON shape (`object: 'list'`, `data[].embedding`, `usage`). Status faults answer with
 * OpenAI's error bodies, as the chat wire does; stream faults do not apply to this route.
 */
export const openaiEmbeddingsWire: WireFormat = {
  ...openaiWire,
  name: 'openai-embeddings',
  path: '/v1/embeddings',
  defaultModel: 'text-embedding-3-small',
  idPrefix: 'emb-',

  readRequest(body, headers): WireRequestInfo {
    const record = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
    const inputs = readInputs(record['input']);
    const dimensions = record['dimensions'];
    return {
      ...openaiWire.readRequest({ model: record['model'] }, headers),
      promptChars: inputs.reduce((sum, text) => sum + text.length, 0),
      embedding: {
        inputs,
        dimensions: typeof dimensions === 'number' && Number.isInteger(dimensions) && dimensions > 0 ? dimensions : undefined,
        encoding: record['encoding_format'] === 'float' ? 'float' : 'base64',
      },
    };
  },

  json(plan: ReplyPlan) {
    const request = plan.embedding ?? { inputs: [], encoding: 'float' as const };
    const dimensions = request.dimensions ?? DEFAULT_EMBEDDING_DIMENSIONS;
    return {
      object: 'list',
      data: request.inputs.map((text, index) => ({
        object: 'embedding',
        index,
        embedding: encode(localEmbedding(text, dimensions), request.encoding),
      })),
      model: plan.model,
      usage: { prompt_tokens: plan.usage.inputTokens, total_tokens: plan.usage.inputTokens },
    };
  },
};
