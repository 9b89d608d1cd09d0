import type { ModelRef, ResolvedFeature } from '../config/schema.js';
import type { ValidatedRequest } from '../config/request.js';
import { contextWindowOf } from '../models/context-windows.js';
import { createTokenCounter } from '../tokens/counter.js';
import { UPPER_BOUND_PER_MESSAGE, UPPER_BOUND_REPLY } from '../tokens/upper-bound.js';
import { EXACT_COUNT_MAX_TOKENS } from './admission.js';
import { promptBound } from './prompt-bound.js';

/** Encoders are shared process-wide, so one counter here costs nothing extra. */
const counter = createTokenCounter();

/**
 * Whether a request fits a candidate's context window (prompt + `maxTokens`), decided before
 * anything is sent: `false` only when Keel knows the window AND counted the prompt exactly
 * (tiktoken) to be too large. The cheap byte bound clears nearly every call; only a prompt near
 * the window pays for an exact count; a model without a local tokenizer is left to the provider.
 */
export function fitsContextWindow(feature: ResolvedFeature, request: ValidatedRequest, candidate: ModelRef): boolean {
  const window = contextWindowOf(candidate);
  if (window === undefined) return true;
  const output = request.maxTokens ?? feature.maxTokens ?? 0;
  const uncounted = request.uncountedInputTokens ?? 0;
  // Three UTF-8 bytes per UTF-16 unit at most: a bound on the byte bound without measuring bytes.
  if (charBound(request.messages) + uncounted + output <= window) return true;
  const bound = promptBound(request.messages);
  if (bound + uncounted + output <= window) return true;
  if (bound > EXACT_COUNT_MAX_TOKENS || !counter.hasExact(candidate.model)) return true;
  const exact = counter.exact(candidate.model, request.messages);
  return exact === undefined || exact + uncounted + output <= window;
}

function charBound(messages: ValidatedRequest['messages']): number {
  let total = UPPER_BOUND_REPLY;
  for (const message of messages) total += UPPER_BOUND_PER_MESSAGE + 3 * (message.role.length + message.content.length);
  return total;
}
