import type { ChatMessage } from '../provider/messages.js';

/**
 * Prompt mode: the schema goes into a system message and the model is asked for the JSON alone.
 * Added before the caller's messages, so a caller's own system prompt still comes first in effect
 * for providers that join system messages.
 */
export function withSchemaInstruction(messages: readonly ChatMessage[], jsonSchema: Readonly<Record<string, unknown>>): ChatMessage[] {
  const instruction =
    'Answer with one JSON value that conforms to this JSON Schema, and nothing else (no prose, no code fence):\n' +
    JSON.stringify(jsonSchema);
  return [{ role: 'system', content: instruction }, ...messages];
}

/** Longest previous answer quoted back in a repair request; a longer one is described, not sent. */
const MAX_QUOTED_ANSWER = 32_768;

/** The repair turn: the previous answer and what was wrong with it (zod's issues). */
export function repairMessages(messages: readonly ChatMessage[], previous: string, issues: readonly string[]): ChatMessage[] {
  const quoted = previous.length <= MAX_QUOTED_ANSWER ? previous : `(an answer of ${previous.length} characters, too long to quote)`;
  return [
    ...messages,
    { role: 'assistant', content: quoted },
    {
      role: 'user',
      content: `That answer does not match the required JSON Schema:\n- ${issues.slice(0, 20).join('\n- ')}\nReply with the corrected JSON only.`,
    },
  ];
}
