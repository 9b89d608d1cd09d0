import type { ValidatedRequest } from '../config/request.js';
import type { ModelRef, ResolvedFeature } from '../config/schema.js';
import { fitsContextWindow } from './context-window.js';

/**
 * The `trim-oldest` context-overflow policy: drops the oldest turns (never a system message,
 * never the last message) one at a time until the request fits `candidate`'s context window by
 * Keel's own count (`fitsContextWindow`). `undefined` when even the system prompt and the last
 * message do not fit, or nothing could be dropped.
 */
export function trimOldest(feature: ResolvedFeature, request: ValidatedRequest, candidate: ModelRef): ValidatedRequest | undefined {
  const messages = [...request.messages];
  let trimmed = false;
  for (;;) {
    const candidateRequest = { ...request, messages };
    if (trimmed && fitsContextWindow(feature, candidateRequest, candidate)) return candidateRequest;
    const oldest = messages.findIndex((message, i) => message.role !== 'system' && i < messages.length - 1);
    if (oldest < 0) return undefined;
    messages.splice(oldest, 1);
    trimmed = true;
  }
}
