/** One SSE frame. `data` is JSON-encoded unless it is already a string. */
export function sseFrame(data: unknown, event?: string): string {
  const payload = typeof data === 'string' ? data : JSON.stringify(data);
  return `${event === undefined ? '' : `event: ${event}\n`}data: ${payload}\n\n`;
}

/** Headers both providers send on an SSE response. */
export const SSE_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
};

export function textLength(value: unknown): number {
  if (typeof value === 'string') return value.length;
  if (Array.isArray(value)) return value.reduce((sum: number, part: unknown) => sum + textLength(part), 0);
  if (typeof value === 'object' && value !== null) {
    const record = value as Record<string, unknown>;
    return textLength(record['text'] ?? record['content']);
  }
  return 0;
}

/** The text of the last `user` message (string content, or its text parts joined). */
export function lastUserText(messages: unknown): string | undefined {
  if (!Array.isArray(messages)) return undefined;
  for (let i = messages.length - 1; i >= 0; i--) {
    const message = messages[i] as { role?: unknown; content?: unknown } | null;
    if (message?.role !== 'user') continue;
    if (typeof message.content === 'string') return message.content;
    if (Array.isArray(message.content)) {
      return message.content.map((part: { text?: unknown } | null) => (typeof part?.text === 'string' ? part.text : '')).join('');
    }
  }
  return undefined;
}

/** A message with the request's text quoted after it, the way APIs echo an offending value. */
export function withEcho(message: string, plan: { readonly lastUserText?: string | undefined }, echo: boolean | undefined): string {
  return echo && plan.lastUserText !== undefined ? `${message} Offending input: '${plan.lastUserText}'` : message;
}
