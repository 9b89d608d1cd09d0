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
  const windows = text.length >= MIN_ECHO_LENGTH ? indexWindows(text) : undefined;
  for (const source of [...content.texts, ...(content.fragments ?? [])]) {
    if (windows && source.length >= MIN_ECHO_LENGTH) markSharedWindows(text, source, windows, marked);
  }
  for (const source of content.texts) {
    // Only short texts can be shorter than a window once flattened; skip flattening long ones.
    if (source.length >= 4 * MIN_ECHO_LENGTH) continue;
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

/** The text's windows by hash, and a 16-bit filter of those hashes that rejects most positions cheaply. */
interface WindowIndex {
  readonly byHash: Map<number, number[]>;
  readonly filter: Uint8Array;
}

function indexWindows(text: string): WindowIndex {
  const byHash = new Map<number, number[]>();
  const filter = new Uint8Array(0x10000);
  for (let start = 0; start + MIN_ECHO_LENGTH <= text.length; start++) {
    let hash = 0;
    for (let i = 0; i < MIN_ECHO_LENGTH; i++) hash = (Math.imul(hash, BASE) + text.charCodeAt(start + i)) | 0;
    filter[hash & 0xffff] = 1;
    const positions = byHash.get(hash);
    if (positions) positions.push(start);
    else byHash.set(hash, [start]);
  }
  return { byHash, filter };
}

/**
 * Rolls a window over `source`, whitespace runs read as one space (as `oneLine` flattens the
 * text), and marks every window of `text` it equals. One pass, no copy of the source: a
 * multi-megabyte prompt costs a few milliseconds.
 */
function markSharedWindows(text: string, source: string, windows: WindowIndex, marked: Uint8Array): void {
  const ring = new Uint16Array(MIN_ECHO_LENGTH);
  let hash = 0;
  let count = 0;
  let slot = 0;
  let lastWasSpace = false;
  for (let i = 0; i < source.length; i++) {
    let code = source.charCodeAt(i);
    if (isSpace(code)) {
      if (lastWasSpace) continue;
      lastWasSpace = true;
      code = 32;
    } else {
      lastWasSpace = false;
    }
    const leaving = count >= MIN_ECHO_LENGTH ? Math.imul(ring[slot] ?? 0, LEADING_WEIGHT) : 0;
    hash = (Math.imul((hash - leaving) | 0, BASE) + code) | 0;
    ring[slot] = code;
    slot = slot + 1 === MIN_ECHO_LENGTH ? 0 : slot + 1;
    count++;
    if (count < MIN_ECHO_LENGTH || windows.filter[hash & 0xffff] === 0) continue;
    for (const at of windows.byHash.get(hash) ?? []) {
      if (sameWindow(text, at, ring, slot)) marked.fill(1, at, at + MIN_ECHO_LENGTH);
    }
  }
}

/** The ring holds the last window, its oldest character at `oldest`. */
function sameWindow(text: string, at: number, ring: Uint16Array, oldest: number): boolean {
  for (let i = 0; i < MIN_ECHO_LENGTH; i++) {
    if (text.charCodeAt(at + i) !== ring[(oldest + i) % MIN_ECHO_LENGTH]) return false;
  }
  return true;
}

/** What `\s` matches: ASCII and Unicode whitespace. */
function isSpace(code: number): boolean {
  if (code <= 32) return code === 32 || (code >= 9 && code <= 13);
  if (code < 0xa0) return false;
  return (
    code === 0xa0 || code === 0x1680 || (code >= 0x2000 && code <= 0x200a) || code === 0x2028 || code === 0x2029 ||
    code === 0x202f || code === 0x205f || code === 0x3000 || code === 0xfeff
  );
}

function markOccurrences(text: string, needle: string, marked: Uint8Array): void {
  for (let at = text.indexOf(needle); at !== -1; at = text.indexOf(needle, at + 1)) {
    marked.fill(1, at, at + needle.length);
  }
}

/** Each marked run becomes one replacement; spaces at its edges stay, so words do not run together. */
function replaceMarked(text: string, marked: Uint8Array): string {
  if (!marked.includes(1)) return text;
  let out = '';
  let i = 0;
  while (i < text.length) {
    if (marked[i] === 0) {
      out += text[i++];
      continue;
    }
    let end = i;
    while (end < text.length && marked[end] === 1) end++;
    let from = i;
    let to = end;
    while (from < to && text[from] === ' ') out += text[from++];
    while (to > from && text[to - 1] === ' ') to--;
    if (to > from) out += REPLACEMENT;
    out += text.slice(to, end);
    i = end;
  }
  return out;
}
