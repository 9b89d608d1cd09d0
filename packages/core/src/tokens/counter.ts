import { encodingForModel, type TokenEncodingName } from './encodings.js';
import { getEncoder } from './encoders.js';
import { estimateTokens } from './estimate.js';
import { countChatTokens, countTextTokens, framingForModel } from './exact.js';
import type { CountableMessage } from './messages.js';
import { upperBoundTextTokens, upperBoundTokens } from './upper-bound.js';

/**
 * Token counting at three prices, cheapest first. Reserve with `upperBound` (a byte count),
 * and pay for `exact` (tiktoken, ~14 µs per 100 B, ~12 ms per 100 KB) only where the count
 * decides something: close to a limit or to the context window.
 */
export interface TokenCounter {
  /** Safe upper bound on the prompt's input tokens, for any byte-level tokenizer. */
  upperBound(messages: readonly CountableMessage[]): number;
  /** Safe upper bound on a text's tokens (e.g. streamed output). */
  upperBoundText(text: string): number;
  /** Exact prompt tokens as OpenAI bills them; `undefined` when Keel has no tokenizer for `model`. */
  exact(model: string, messages: readonly CountableMessage[]): number | undefined;
  /** Exact tokens of a text; `undefined` when Keel has no tokenizer for `model`. */
  exactText(model: string, text: string): number | undefined;
  /** Tokenizer-free estimate (not a bound), for models without a local tokenizer. */
  estimate(messages: readonly CountableMessage[]): number;
  /** Exact when Keel has the model's tokenizer, the estimate otherwise. */
  count(model: string, messages: readonly CountableMessage[]): number;
  /** Whether `exact` can count for `model`. */
  hasExact(model: string): boolean;
  /** Loads the encoders for these models now (~300 ms each) instead of on the first exact count. */
  warmUp(models: readonly string[]): void;
}

/**
 * Creates a counter. Encoders are shared process-wide (see encoders.ts), so counters are cheap
 * and any number of them share the same two encoders. The model → encoding lookup is memoised
 * per counter (bounded: a model name is configuration, not user input, but a cap keeps a
 * misuse from growing it without limit).
 */
export function createTokenCounter(): TokenCounter {
  const encodingCache = new Map<string, TokenEncodingName | null>();
  const MAX_CACHED_MODELS = 1_000;

  function encodingOf(model: string): TokenEncodingName | undefined {
    let cached = encodingCache.get(model);
    if (cached === undefined) {
      cached = encodingForModel(model) ?? null;
      if (encodingCache.size < MAX_CACHED_MODELS) encodingCache.set(model, cached);
    }
    return cached ?? undefined;
  }

  return {
    upperBound: upperBoundTokens,
    upperBoundText: upperBoundTextTokens,
    exact(model, messages) {
      const encoding = encodingOf(model);
      return encoding ? countChatTokens(encoding, messages, framingForModel(model)) : undefined;
    },
    exactText(model, text) {
      const encoding = encodingOf(model);
      return encoding ? countTextTokens(encoding, text) : undefined;
    },
    estimate: estimateTokens,
    count(model, messages) {
      const encoding = encodingOf(model);
      return encoding ? countChatTokens(encoding, messages, framingForModel(model)) : estimateTokens(messages);
    },
    hasExact: (model) => encodingOf(model) !== undefined,
    warmUp(models) {
      for (const model of models) {
        const encoding = encodingOf(model);
        if (encoding) getEncoder(encoding);
      }
    },
  };
}
