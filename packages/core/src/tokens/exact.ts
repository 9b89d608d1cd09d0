import { getEncoder } from './encoders.js';
import type { TokenEncodingName } from './encodings.js';
import type { CountableMessage } from './messages.js';

/**
 * OpenAI's chat billing (OpenAI cookbook, "How to count tokens with tiktoken"): every message
 * is framed as `<|start|>{role}<|message|>{content}<|end|>` — 3 tokens plus its role and
 * content — a `name` costs 1 more, and every reply is primed with `<|start|>assistant<|message|>`,
 * 3 more. gpt-3.5-turbo-0301 used 4 per message and dropped the role when a name was given.
 */
export interface ChatFraming {
  readonly perMessage: number;
  readonly perName: number;
  readonly reply: number;
}

export const OPENAI_FRAMING: ChatFraming = { perMessage: 3, perName: 1, reply: 3 };
const LEGACY_0301_FRAMING: ChatFraming = { perMessage: 4, perName: -1, reply: 3 };

export function framingForModel(model: string): ChatFraming {
  return model.includes('gpt-3.5-turbo-0301') ? LEGACY_0301_FRAMING : OPENAI_FRAMING;
}

/**
 * Exact tokens of `text` in `encoding`. Content is encoded as ordinary text: the API does not
 * treat `<|endoftext|>` in a message as a special token (and tiktoken's `encode` would throw on
 * it), and `encode_ordinary` is also ~3× faster.
 */
export function countTextTokens(encoding: TokenEncodingName, text: string): number {
  return text.length === 0 ? 0 : getEncoder(encoding).encode_ordinary(text).length;
}

// Roles are a handful of short strings, yet each WASM call costs ~3 µs: count each role once.
const roleCounts: Record<TokenEncodingName, Map<string, number>> = { o200k_base: new Map(), cl100k_base: new Map() };
const MAX_ROLES = 32;

function roleTokens(encoding: TokenEncodingName, role: string): number {
  const counts = roleCounts[encoding];
  let count = counts.get(role);
  if (count === undefined) {
    count = countTextTokens(encoding, role);
    if (counts.size < MAX_ROLES) counts.set(role, count);
  }
  return count;
}

/** Exact prompt tokens of `messages`, as OpenAI bills them. */
export function countChatTokens(
  encoding: TokenEncodingName,
  messages: readonly CountableMessage[],
  framing: ChatFraming = OPENAI_FRAMING,
): number {
  let total = framing.reply;
  for (const message of messages) {
    total += framing.perMessage + roleTokens(encoding, message.role) + countTextTokens(encoding, message.content);
    if (message.name !== undefined) total += framing.perName + countTextTokens(encoding, message.name);
  }
  return total;
}
