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
