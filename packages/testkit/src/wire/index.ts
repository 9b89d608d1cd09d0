import { anthropicWire } from './anthropic.js';
import { openaiWire } from './openai.js';
import { openaiEmbeddingsWire } from './openai-embeddings.js';
import type { WireFormat } from './wire-format.js';

/** Every wire format the server speaks; add a new format here and it is routed by its path. */
export const WIRE_FORMATS: readonly WireFormat[] = [openaiWire, anthropicWire, openaiEmbeddingsWire];

export function wireForPath(path: string, formats: readonly WireFormat[] = WIRE_FORMATS): WireFormat | undefined {
  return formats.find((format) => format.path === path);
}

export { anthropicWire, openaiEmbeddingsWire, openaiWire };
export { DEFAULT_EMBEDDING_DIMENSIONS } from './openai-embeddings.js';
export { createLlamaServerEmulator, llamaServerWire, llamaTimings } from './llama-server.js';
export type { LlamaServerEmulator, LlamaServerEmulatorOptions, RouteReply, RouteRequest } from './llama-server.js';
export type { EmbeddingRequest, WireErrorSpec, WireFormat, WireRequestInfo } from './wire-format.js';
