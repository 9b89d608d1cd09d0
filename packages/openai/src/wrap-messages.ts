import type { ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import type { ChatMessage } from '@keel/core';

/**
 * Keel's roles for OpenAI's: instructions count as system, tool and function results as input.
 * Unknown future roles count as user input.
 */
const ROLES: Readonly<Record<string, ChatMessage['role']>> = {
  system: 'system',
  developer: 'system',
  user: 'user',
  assistant: 'assistant',
  tool: 'user',
  function: 'user',
};

/**
 * The simplified messages Keel validates and accounts for (events, prompt hash, budgets). The
 * request itself is sent with the caller's original messages, untouched.
 */
export function toKeelMessages(messages: readonly ChatCompletionMessageParam[]): ChatMessage[] {
  return messages.map((message) => ({ role: ROLES[message.role] ?? 'user', content: textOf(message.content) }));
}

/** A string as is; content parts as their text joined; null (a tool-calls-only turn) as ''. */
function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content.map((part: unknown) => (isTextPart(part) ? part.text : '')).join('');
}

function isTextPart(part: unknown): part is { type: 'text'; text: string } {
  if (typeof part !== 'object' || part === null) return false;
  const { type, text } = part as { type?: unknown; text?: unknown };
  return type === 'text' && typeof text === 'string';
}
