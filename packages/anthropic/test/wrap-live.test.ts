import { describe, expect, it } from 'vitest';
import Anthropic from '@anthropic-ai/sdk';
import { wrapAnthropic } from '../src/index.js';

// Against the real API, only when a key is set; reported as skipped otherwise.
// ANTHROPIC_SMOKE_MODEL picks the model (default claude-haiku-4-5).
const model = process.env['ANTHROPIC_SMOKE_MODEL'] ?? 'claude-haiku-4-5';
const messages = [{ role: 'user' as const, content: 'Reply with the single word: pong' }];

describe('wrapAnthropic live smoke', () => {
  it.skipIf(!process.env['ANTHROPIC_API_KEY'])('answers a JSON call and a stream through Keel', { timeout: 60_000 }, async () => {
    const anthropic = wrapAnthropic(new Anthropic(), { feature: 'smoke' });
    const message = await anthropic.messages.create({ model, max_tokens: 16, messages });
    expect(message.type).toBe('message');
    expect(message.content.some((block) => block.type === 'text' && /\S/.test(block.text))).toBe(true);

    let text = '';
    for await (const event of await anthropic.messages.create({ model, max_tokens: 16, messages, stream: true })) {
      if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') text += event.delta.text;
    }
    expect(text).toMatch(/\S/);
    anthropic.keel.close();
  });
});
