import { createRequire } from 'node:module';
import type * as TiktokenModule from 'tiktoken';
import type { Tiktoken } from 'tiktoken';
import type { TokenEncodingName } from './encodings.js';

/**
 * One encoder per encoding for the whole process, created on first use and never freed.
 * Why: building an encoder costs ~300 ms (o200k_base) and holds WASM memory, so one per call
 * or per Keel instance would be a latency spike and a leak. Two encodings exist, so this is
 * bounded. The 5.6 MB WASM module itself is only loaded when the first exact count is needed:
 * services that never count exactly (Anthropic-only, or far from every limit) never pay for it.
 */
const encoders = new Map<TokenEncodingName, Tiktoken>();
let tiktoken: typeof TiktokenModule | undefined;

export function getEncoder(name: TokenEncodingName): Tiktoken {
  let encoder = encoders.get(name);
  if (!encoder) {
    // Synchronous load so `exact()` stays synchronous; `require` resolves the Node build.
    tiktoken ??= createRequire(import.meta.url)('tiktoken') as typeof TiktokenModule;
    encoder = tiktoken.get_encoding(name);
    encoders.set(name, encoder);
  }
  return encoder;
}

/** Encodings whose encoder exists in this process (for tests, telemetry and warm-up checks). */
export function loadedEncodings(): readonly TokenEncodingName[] {
  return [...encoders.keys()];
}
