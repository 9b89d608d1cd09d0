import { MIN_ECHO_LENGTH, type RequestContent } from '../errors/echo.js';
import type { ProviderRequest } from './provider.js';

/** Deep enough for tool schemas and content parts; a body nested deeper is not a real request. */
const MAX_DEPTH = 32;

/**
 * What of a request a provider might echo into an error: the message texts (matched whole or in
 * part), and every long string in `extra` — the drop-ins' original body, tools and their
 * arguments, a system prompt. `extra.model` is left out so that "model X does not exist"
 * stays readable.
 */
export function requestContentOf(request: ProviderRequest): RequestContent {
  const texts = request.messages.flatMap((message) => (typeof message.content === 'string' ? [message.content] : []));
  const fragments: string[] = [];
  const { model: _model, ...extra } = request.extra ?? {};
  collectStrings(extra, fragments, 0);
  return { texts, fragments };
}

function collectStrings(value: unknown, into: string[], depth: number): void {
  if (typeof value === 'string') {
    if (value.length >= MIN_ECHO_LENGTH) into.push(value);
    return;
  }
  if (typeof value !== 'object' || value === null || depth >= MAX_DEPTH) return;
  for (const item of Array.isArray(value) ? value : Object.values(value)) collectStrings(item, into, depth + 1);
}
