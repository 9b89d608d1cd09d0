/**
 * Scrubs request content (prompt text, system prompt, tool arguments) that a provider echoed
 * back into an error message. Real APIs do: a 400/422 often quotes the offending value.
 *
 * The rule: any stretch of the text that also appears in the request content and is at least
 * {@link MIN_ECHO_LENGTH} characters long is replaced with `[prompt redacted]`, as is every
 * occurrence of a whole message text of {@link MIN_WHOLE_ECHO_LENGTH}+ characters (a short
 * prompt echoed whole). Whitespace runs compare as one space, as adapters flatten messages to
 * one line. Shorter fragments are not treated as prompt text: they would shred ordinary words.
 *
 * Cost: one rolling-hash pass over the request content, so a multi-megabyte prompt is cheap;
 * the scrubbed text itself is short (adapters bound messages to one line).
 */

/** The shortest shared stretch treated as an echo of the request. */
export const MIN_ECHO_LENGTH = 12;

/** The shortest whole message text matched anywhere in the error text. */
export const MIN_WHOLE_ECHO_LENGTH = 4;

const REPLACEMENT = '[prompt redacted]';
const BASE = 257;

/** Request content to scrub: `texts` match whole or in part; `fragments` only in stretches of {@link MIN_ECHO_LENGTH}+. */
export interface RequestContent {
  /** The message texts and system prompt. */
  readonly texts: readonly string[];
  /** Other request strings (tool arguments and schemas, provider-specific fields). */
  readonly fragments?: readonly string[] | undefined;
}

export function redactEchoes(text: string, content: RequestContent | undefined): string {
  if (content === undefined || text.length < MIN_WHOLE_ECHO_LENGTH) return text;
  const marked = new Uint8Array(text.length);
  const windows = text.length >= MIN_ECHO_LENGTH ? windowHashes(text) : undefined;
  for (const source of [...content.texts, ...(content.fragments ?? [])]) {
    const flat = source.replace(/\s+/g, ' ');
    if (windows && flat.length >= MIN_ECHO_LENGTH) markSharedWindows(text, flat, windows, marked);
  }
  for (const source of content.texts) {
    const flat = source.replace(/\s+/g, ' ').trim();
    if (flat.length >= MIN_WHOLE_ECHO_LENGTH && flat.length < MIN_ECHO_LENGTH) markOccurrences(text, flat, marked);
  }
  return replaceMarked(text, marked);
}

/** `BASE^(MIN_ECHO_LENGTH - 1)` in 32-bit arithmetic: the weight of the character leaving a window. */
const LEADING_WEIGHT = (() => {
  let weight = 1;
  for (let i = 1; i < MIN_ECHO_LENGTH; i++) weight = Math.imul(weight, BASE);
  return weight;
})();

function hashAt(text: string, start: number): number {
  let hash = 0;
  for (let i = 0; i < MIN_ECHO_LENGTH; i++) hash = (Math.imul(hash, BASE) + text.charCodeAt(start + i)) | 0;
  return hash;
}

/** Start positions of every window of the (short) text, by hash. */
function windowHashes(text: string): Map<number, number[]> {
  const byHash = new Map<number, number[]>();
  for (let start = 0; start + MIN_ECHO_LENGTH <= text.length; start++) {
    const hash = hashAt(text, start);
    const positions = byHash.get(hash);
    if (positions) positions.push(start);
    else byHash.set(hash, [start]);
  }
  return byHash;
}

/** Rolls a window over `source` and marks every window of `text` it equals. */
function markSharedWindows(text: string, source: string, windows: Map<number, number[]>, marked: Uint8Array): void {
  let hash = hashAt(source, 0);
  for (let start = 0; ; start++) {
    const positions = windows.get(hash);
    if (positions) {
      for (const at of positions) {
        if (sameWindow(text, at, source, start)) marked.fill(1, at, at + MIN_ECHO_LENGTH);
      }
    }
    const next = start + MIN_ECHO_LENGTH;
    if (next >= source.length) return;
    const leaving = Math.imul(source.charCodeAt(start), LEADING_WEIGHT);
    hash = (Math.imul((hash - leaving) | 0, BASE) + source.charCodeAt(next)) | 0;
  }
}

function sameWindow(text: string, at: number, source: string, start: number): boolean {
  for (let i = 0; i < MIN_ECHO_LENGTH; i++) {
    if (text.charCodeAt(at + i) !== source.charCodeAt(start + i)) return false;
  }
  return true;
}

function markOccurrences(text: string, needle: string, marked: Uint8Array): void {
  for (let at = text.indexOf(needle); at !== -1; at = text.indexOf(needle, at + 1)) {
    marked.fill(1, at, at + needle.length);
  }
}

function replaceMarked(text: string, marked: Uint8Array): string {
  if (!marked.includes(1)) return text;
  let out = '';
  for (let i = 0; i < text.length; i++) {
    if (marked[i] === 0) out += text[i];
    else if (i === 0 || marked[i - 1] === 0) out += REPLACEMENT;
  }
  return out;
}
