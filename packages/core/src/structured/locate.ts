/**
 * Finds the JSON value in a model's text: inside a markdown fence when there is one, else from
 * the first `{` / `[` to its matching close (prose before and after is dropped), or to the end
 * when the output stops early (a partial object). One linear pass that also measures nesting,
 * so the depth cap holds before the text reaches a parser.
 */
export type Located =
  | { readonly ok: true; readonly json: string; readonly complete: boolean }
  | { readonly ok: false; readonly reason: 'no_json' }
  /** `at`: where the scan stopped (the opening that went past the cap), so tests can see how little was read. */
  | { readonly ok: false; readonly reason: 'too_deep'; readonly at: number };

const FENCE = /```[a-zA-Z0-9_-]*[ \t]*\r?\n?/g;

/** The body of the first fenced block that holds a `{` or `[`; undefined when there is none. */
function fencedBody(text: string): string | undefined {
  FENCE.lastIndex = 0;
  for (let open = FENCE.exec(text); open; open = FENCE.exec(text)) {
    const start = FENCE.lastIndex;
    const close = text.indexOf('```', start);
    const body = close === -1 ? text.slice(start) : text.slice(start, close);
    if (/[[{]/.test(body)) return body;
    if (close === -1) return undefined;
    FENCE.lastIndex = close + 3;
  }
  return undefined;
}

export function locateJson(text: string, maxDepth: number): Located {
  const source = text.includes('```') ? (fencedBody(text) ?? text) : text;
  const start = firstOpen(source);
  if (start === -1) return { ok: false, reason: 'no_json' };
  let depth = 0;
  let quote: string | undefined;
  for (let i = start; i < source.length; i++) {
    const ch = source[i]!;
    if (quote) {
      if (ch === '\\') i++;
      else if (ch === quote) quote = undefined;
      continue;
    }
    if (ch === '"' || ch === "'") quote = ch;
    else if (ch === '{' || ch === '[') {
      if (++depth > maxDepth) return { ok: false, reason: 'too_deep', at: i };
    } else if (ch === '}' || ch === ']') {
      if (--depth === 0) return { ok: true, json: source.slice(start, i + 1), complete: true };
    }
  }
  return { ok: true, json: source.slice(start), complete: false };
}

function firstOpen(text: string): number {
  const brace = text.indexOf('{');
  const bracket = text.indexOf('[');
  if (brace === -1) return bracket;
  if (bracket === -1) return brace;
  return Math.min(brace, bracket);
}
