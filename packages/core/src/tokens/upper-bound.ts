import type { CountableMessage } from './messages.js';

/**
 * Per-message allowance of the bound, on top of the role's and content's bytes. OpenAI bills
 * 3 tokens per message (plus 1 for a `name`); the 4th covers the one dummy-prefix piece a
 * SentencePiece tokenizer (Llama 2, Mistral) may add to a message.
 */
export const UPPER_BOUND_PER_MESSAGE = 4;
/** Allowance for the reply priming: OpenAI's 3, or a BOS plus an assistant header elsewhere. */
export const UPPER_BOUND_REPLY = 8;

/**
 * UTF-8 length of `text`, as a tokenizer sees it (a lone surrogate becomes U+FFFD, 3 bytes, in
 * both Buffer and the TextEncoder tiktoken uses). Native: about 14 µs per 100 KB on the 2-core
 * bench machine (the pipeline counts a prompt once per request: pipeline/prompt-bound.ts).
 */
export function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/**
 * A cheap, safe upper bound on a text's tokens: its UTF-8 byte count.
 *
 * Why it holds: a byte-level BPE (every OpenAI encoding, Llama 3, Qwen…) turns a text into
 * tokens that each stand for a non-empty run of its bytes, and the runs concatenate back to the
 * text, so there can be no more tokens than bytes. Keel encodes message content as ordinary
 * text (special-token strings in user content are not special), so no token stands for zero
 * bytes. Checked for o200k_base and cl100k_base by a property test.
 */
export function upperBoundTextTokens(text: string): number {
  return utf8Bytes(text);
}

/**
 * A cheap, safe upper bound on a chat prompt's input tokens, for reserving budget on the hot
 * path without tokenizing (tiktoken costs ~60 µs per 100 B, ~12 ms per 100 KB; this costs one
 * native byte count per message). It is typically 3–4× the exact count for English, so count
 * exactly only when this bound is what stands between a call and a limit.
 */
export function upperBoundTokens(messages: readonly CountableMessage[]): number {
  let total = UPPER_BOUND_REPLY;
  for (const message of messages) {
    total += UPPER_BOUND_PER_MESSAGE + utf8Bytes(message.role) + utf8Bytes(message.content);
    if (message.name !== undefined) total += 1 + utf8Bytes(message.name);
  }
  return total;
}
