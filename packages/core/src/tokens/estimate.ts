import type { CountableMessage } from './messages.js';
import { utf8Bytes } from './upper-bound.js';

/** Per-message template overhead assumed by the estimate (role header and end marker). */
export const ESTIMATE_PER_MESSAGE = 5;
/** Reply priming assumed by the estimate. */
export const ESTIMATE_REPLY = 5;

/**
 * A tokenizer-free ESTIMATE of a text's tokens, for models whose tokenizer Keel does not have
 * (Anthropic, llama.cpp) until their adapters report exact counts: 3.5 characters per token,
 * plus half a token per extra UTF-8 byte of non-ASCII text (CJK ≈ 1.3 tokens per character).
 *
 * It is an estimate, not a bound. Measured against cl100k_base it over-counts prose (+17%),
 * ordinary source code (+28–37%), CJK (+15%) and Cyrillic (+29%), which leaves headroom for
 * Claude's and Llama's tokenizers (which need somewhat more tokens than cl100k for such text) —
 * but it under-counts dense or high-entropy text: terse symbol-heavy code (−20%), JSON (−7%),
 * digits (−24%), emoji (−43%), base64 (−60%). So budgets are reserved with the safe
 * `upperBoundTokens` and reconciled with the provider's reported usage; use the estimate
 * only to judge, near a limit, whether a call is likely to fit.
 */
export function estimateTextTokens(text: string): number {
  return estimateTokensOfSize(text.length, utf8Bytes(text));
}

/**
 * {@link estimateTextTokens} from a text's length and UTF-8 size, so a growing text (a stream)
 * is estimated as a whole from running totals — rounding once, not once per delta.
 */
export function estimateTokensOfSize(chars: number, bytes: number): number {
  if (chars === 0) return 0;
  return Math.ceil(chars / 3.5 + (bytes - chars) / 2);
}

/** {@link estimateTextTokens} over a chat prompt, with a template overhead per message. */
export function estimateTokens(messages: readonly CountableMessage[]): number {
  let total = ESTIMATE_REPLY;
  for (const message of messages) {
    total += ESTIMATE_PER_MESSAGE + estimateTextTokens(message.content);
    if (message.name !== undefined) total += 1 + estimateTextTokens(message.name);
  }
  return total;
}
