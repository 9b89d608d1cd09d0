/**
 * Scrubs secrets from text that may end up in an error, log or event. Two layers: exact values
 * the adapter knows (the client's API key), and shapes every provider uses for keys and tokens.
 */
const SECRET_SHAPES: readonly RegExp[] = [
  /\bsk-[A-Za-z0-9_*-]{6,}/g, // OpenAI and Anthropic keys (sk-..., sk-ant-..., sk-proj-...)
  /\bBearer\s+[A-Za-z0-9._~+/=-]+/gi,
  /\b(api[_-]?key|x-api-key|authorization)(["']?\s*[:=]\s*["']?)[^\s"',}]+/gi,
];

const REDACTED = '[redacted]';

export function redact(text: string, secrets: readonly string[] = []): string {
  let out = text;
  for (const secret of secrets) {
    // Very short strings would shred ordinary words; a real key is never this short.
    if (secret.length >= 8) out = out.split(secret).join(REDACTED);
  }
  for (const shape of SECRET_SHAPES) {
    out = out.replace(shape, (match, name?: string, sep?: string) =>
      typeof name === 'string' && typeof sep === 'string' ? `${name}${sep}${REDACTED}` : REDACTED,
    );
  }
  return out;
}
