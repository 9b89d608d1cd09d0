/**
 * What token counting needs from a chat message. Structurally a superset of core's
 * `ChatMessage`, so provider messages can be passed as they are; `name` is counted when present
 * because OpenAI bills it.
 */
export interface CountableMessage {
  readonly role: string;
  readonly content: string;
  readonly name?: string | undefined;
}
