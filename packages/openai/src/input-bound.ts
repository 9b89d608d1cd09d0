import type { ChatCompletionCreateParamsBase } from 'openai/resources/chat/completions';
import { upperBoundTextTokens } from '@keel/core';

/**
 * Image token rules from OpenAI's vision guide, as ceilings for an image of unknown size. Tile
 * models bill `base + tile × tiles` for high (or auto) detail, `base` for low; an image is scaled
 * to fit 2048 × 2048 and then to 768 px on its shortest side, so it has at most 2 × 4 = 8 tiles of
 * 512 px. Patch models bill 32-px patches, at most 1,536, times a multiplier, whatever the detail.
 */
const MAX_TILES = 8;
const TILE_RULE = { base: 85, tile: 170 };
const IMAGE_RULES: readonly (readonly [prefix: string, rule: { base: number; tile: number } | { patchCeiling: number }])[] = [
  // gpt-4o-mini prices image tokens up to match gpt-4o's price: 2,833 + 5,667 per tile.
  ['gpt-4o-mini', { base: 2_833, tile: 5_667 }],
  ['gpt-4.1-nano', { patchCeiling: Math.ceil(1_536 * 2.46) }],
  ['gpt-4.1-mini', { patchCeiling: Math.ceil(1_536 * 1.62) }],
  ['o4-mini', { patchCeiling: Math.ceil(1_536 * 1.72) }],
  ['gpt-4o', TILE_RULE],
  ['gpt-4.1', TILE_RULE],
  ['gpt-4.5', TILE_RULE],
  ['gpt-4-turbo', TILE_RULE],
  ['gpt-5', TILE_RULE], // 70 + 140 per tile: within the 85 / 170 ceiling
  ['o1', TILE_RULE],
  ['o3', TILE_RULE],
];
/** A model not in the table: the largest ceiling above except gpt-4o-mini's, whatever the detail. */
const UNKNOWN_MODEL_IMAGE_CEILING = Math.ceil(1_536 * 2.46);

/**
 * Audio input is billed at 10 tokens a second; its length is bounded from the decoded size by
 * assuming an encoding of at least 8 kbit/s (1,000 bytes a second), so ≤ 1 token per 100 bytes.
 */
const AUDIO_BYTES_PER_TOKEN = 100;
/** The per-tool framing OpenAI adds around each definition (names, namespace lines). */
const PER_TOOL_OVERHEAD = 20;

/** The most tokens one image in a request to `model` can cost. */
export function imageTokenCeiling(model: string, detail: unknown): number {
  const rule = IMAGE_RULES.find(([prefix]) => model === prefix || model.startsWith(`${prefix}-`))?.[1];
  if (!rule) return UNKNOWN_MODEL_IMAGE_CEILING;
  if ('patchCeiling' in rule) return rule.patchCeiling;
  return detail === 'low' ? rule.base : rule.base + rule.tile * MAX_TILES;
}

/** An upper bound on a JSON value's tokens: its serialized UTF-8 bytes, like any text. */
function jsonTokens(value: unknown): number {
  return value === undefined || value === null ? 0 : upperBoundTextTokens(JSON.stringify(value));
}

function partTokens(model: string, part: unknown): number {
  if (typeof part !== 'object' || part === null) return 0;
  const { type } = part as { type?: unknown };
  if (type === 'text') return 0; // counted by Keel from the simplified messages
  if (type === 'image_url') return imageTokenCeiling(model, (part as { image_url?: { detail?: unknown } }).image_url?.detail);
  if (type === 'input_audio') {
    const data = (part as { input_audio?: { data?: unknown } }).input_audio?.data;
    return typeof data === 'string' ? Math.ceil((data.length * 3) / 4 / AUDIO_BYTES_PER_TOKEN) : 0;
  }
  // Files and future part types: their serialized size, a byte bound like text's.
  return jsonTokens(part);
}

/**
 * An upper bound on the input tokens of a `chat.completions.create` body that its messages' text
 * does not show: image and audio parts (by OpenAI's published rules), other parts, tool calls of
 * earlier turns, and the tool definitions and response format (serialized, bounded like text).
 */
export function uncountedInputTokens(body: ChatCompletionCreateParamsBase): number {
  const model = body.model;
  let total = 0;
  for (const message of body.messages) {
    const { content } = message as { content?: unknown };
    if (Array.isArray(content)) for (const part of content) total += partTokens(model, part);
    const { tool_calls: toolCalls, function_call: functionCall } = message as { tool_calls?: unknown; function_call?: unknown };
    total += jsonTokens(toolCalls) + jsonTokens(functionCall);
  }
  const tools = [...(body.tools ?? []), ...(body.functions ?? [])];
  if (tools.length > 0) total += jsonTokens(tools) + PER_TOOL_OVERHEAD * tools.length;
  return total + jsonTokens(body.tool_choice) + jsonTokens(body.response_format);
}
