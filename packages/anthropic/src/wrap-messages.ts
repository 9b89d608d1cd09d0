import type { MessageCreateParamsBase } from '@anthropic-ai/sdk/resources/messages';
import type { ChatMessage } from '@keel/core';

/**
 * The simplified messages Keel validates and accounts for (events, prompt hash, budgets): the
 * top-level `system` as a system message, then each turn's text. The request itself is sent
 * with the caller's original `system` and `messages`, untouched.
 */
export function toKeelMessages(body: Pick<MessageCreateParamsBase, 'system' | 'messages'>): ChatMessage[] {
  const system: ChatMessage[] = body.system === undefined ? [] : [{ role: 'system', content: textOf(body.system) }];
  return [...system, ...body.messages.map(({ role, content }) => ({ role, content: textOf(content) }))];
}

/**
 * A string as is; blocks as their text joined: `text` blocks, and the content of `tool_result`
 * blocks. Images, documents, tool calls and thinking count as ''.
 */
function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content.map((block: unknown) => blockText(block)).join('');
}

function blockText(block: unknown): string {
  if (typeof block !== 'object' || block === null) return '';
  const { type, text, content } = block as { type?: unknown; text?: unknown; content?: unknown };
  if (type === 'text') return typeof text === 'string' ? text : '';
  return type === 'tool_result' ? textOf(content) : '';
}
