import type { MessageCreateParamsBase } from '@anthropic-ai/sdk/resources/messages';
import { upperBoundTextTokens } from '@keel/core';

/**
 * Anthropic bills an image about (width × height) / 750 tokens and scales any image down to
 * fit ~1.15 megapixels (1,568 px on the long edge), so one image costs at most ~1,600 tokens.
 */
export const IMAGE_TOKEN_CEILING = 1_600;
/** The tool-use system prompt Anthropic adds when `tools` are present (≤ 346 tokens today). */
const TOOL_SYSTEM_PROMPT = 500;

/** An upper bound on a JSON value's tokens: its serialized UTF-8 bytes, like any text. */
function jsonTokens(value: unknown): number {
  return value === undefined || value === null ? 0 : upperBoundTextTokens(JSON.stringify(value));
}

function blockTokens(block: unknown): number {
  if (typeof block !== 'object' || block === null) return 0;
  const { type, content } = block as { type?: unknown; content?: unknown };
  if (type === 'text') return 0; // counted by Keel from the simplified messages
  if (type === 'image') return IMAGE_TOKEN_CEILING;
  // A tool result's text is counted with the messages; its images and other blocks here.
  if (type === 'tool_result') return Array.isArray(content) ? content.reduce((sum: number, inner) => sum + blockTokens(inner), 0) : 0;
  // Tool calls, documents, thinking and future blocks: their serialized size, bounded like text.
  return jsonTokens(block);
}

/**
 * An upper bound on the input tokens of a `messages.create` body that its text does not show:
 * images (Anthropic's published rule), tool calls and results, documents, thinking, and the tool
 * definitions (serialized, bounded like text, plus the tool-use system prompt).
 */
export function uncountedInputTokens(body: MessageCreateParamsBase): number {
  let total = 0;
  const blocksOf = (content: unknown) => (Array.isArray(content) ? (content as unknown[]) : []);
  for (const block of blocksOf(body.system)) total += blockTokens(block);
  for (const message of body.messages) for (const block of blocksOf(message.content)) total += blockTokens(block);
  if (body.tools && body.tools.length > 0) total += jsonTokens(body.tools) + TOOL_SYSTEM_PROMPT;
  return total + jsonTokens(body.tool_choice);
}
