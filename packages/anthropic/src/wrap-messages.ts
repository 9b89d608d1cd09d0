import { dropInBodyParser } from '@keel/core';

/**
 * Validates a `messages.create` body and returns the simplified messages Keel validates again
 * and accounts for (events, prompt hash, budgets): the top-level `system` (a string or text
 * blocks) as a system message, then each turn's text (`text` blocks and the content of
 * `tool_result` blocks; images, documents, tool calls and thinking count as ''). The request
 * itself is sent with the caller's original `system` and `messages`, untouched.
 */
export const parseAnthropicBody = dropInBodyParser({
  roles: { user: { as: 'user' }, assistant: { as: 'assistant' } },
  topLevelSystem: true,
});
