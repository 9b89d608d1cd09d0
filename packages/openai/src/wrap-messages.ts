import { dropInBodyParser, type DropInRole } from '@keel/core';

/** Assistant turns may go without content when they carry what the API accepts instead. */
const ASSISTANT: DropInRole = {
  as: 'assistant',
  contentOptional: (message) => ['tool_calls', 'function_call', 'audio', 'refusal'].some((field) => message[field] != null),
};

/**
 * The roles of `chat.completions.create`, as Keel counts them: instructions as system, tool and
 * function results as input. A role the SDK does not define is a `bad_request`.
 */
const ROLES: Readonly<Record<string, DropInRole>> = {
  system: { as: 'system' },
  developer: { as: 'system' },
  user: { as: 'user' },
  assistant: ASSISTANT,
  tool: { as: 'user' },
  // Deprecated; its content is `string | null`.
  function: { as: 'user', contentOptional: () => true },
};

/**
 * Validates a `chat.completions.create` body and returns the simplified messages Keel validates
 * again and accounts for (events, prompt hash, budgets): content parts as their text joined, a
 * tool-calls-only turn as ''. The request itself is sent with the caller's original messages.
 */
export const parseOpenAIBody = dropInBodyParser({ roles: ROLES });
