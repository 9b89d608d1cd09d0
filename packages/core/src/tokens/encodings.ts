/** The tiktoken encodings Keel counts with. */
export type TokenEncodingName = 'o200k_base' | 'cl100k_base';

/**
 * Model-name prefixes per encoding (tiktoken's own model table, extended to the newer families
 * it lacks). Matched by longest prefix, so `gpt-4o-…` and `gpt-4.1-…` win over `gpt-4`.
 */
const PREFIXES: ReadonlyArray<readonly [string, TokenEncodingName]> = [
  // o200k_base: GPT-4o onwards and the reasoning models.
  ['gpt-4o', 'o200k_base'],
  ['chatgpt-4o', 'o200k_base'],
  ['gpt-4.1', 'o200k_base'],
  ['gpt-4.5', 'o200k_base'],
  ['gpt-5', 'o200k_base'],
  ['gpt-oss', 'o200k_base'],
  ['o1', 'o200k_base'],
  ['o3', 'o200k_base'],
  ['o4', 'o200k_base'],
  // cl100k_base: GPT-4 (turbo included), GPT-3.5 and the embedding models of that era.
  ['gpt-4', 'cl100k_base'],
  ['gpt-3.5', 'cl100k_base'],
  ['gpt-35', 'cl100k_base'],
  ['text-embedding-ada-002', 'cl100k_base'],
  ['text-embedding-3', 'cl100k_base'],
];

// Longest first, once, so the first hit is the longest prefix.
const BY_LENGTH = [...PREFIXES].sort((a, b) => b[0].length - a[0].length);

/**
 * The encoding OpenAI bills `model` with, or `undefined` when Keel knows no exact tokenizer
 * for it (Anthropic, llama.cpp, an unknown or custom deployment name). Tolerates dated
 * snapshots (`gpt-4o-2024-08-06`), point releases (`gpt-5.1`), fine-tunes (`ft:gpt-4o-mini:…`)
 * and an `openai/` style prefix.
 */
export function encodingForModel(model: string): TokenEncodingName | undefined {
  const slash = model.lastIndexOf('/');
  let name = (slash >= 0 ? model.slice(slash + 1) : model).toLowerCase();
  if (name.startsWith('ft:')) name = name.slice(3);
  for (const [prefix, encoding] of BY_LENGTH) {
    // A prefix must end at a boundary: `o1` names `o1-mini`, not `o1x`.
    if (name.startsWith(prefix) && isBoundary(name, prefix.length)) return encoding;
  }
  return undefined;
}

function isBoundary(name: string, at: number): boolean {
  if (at === name.length) return true;
  const next = name.charCodeAt(at);
  return next === 0x2d /* - */ || next === 0x2e /* . */ || next === 0x3a /* : fine-tune suffix */;
}
