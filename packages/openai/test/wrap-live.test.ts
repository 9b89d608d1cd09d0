import { describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { wrapOpenAI } from '../src/index.js';

// Against the real API, only when a key is set; reported as skipped otherwise.
// OPENAI_SMOKE_MODEL picks the model (default gpt-4o-mini).
const model = process.env['OPENAI_SMOKE_MODEL'] ?? 'gpt-4o-mini';
const messages = [{ role: 'user' as const, content: 'Reply with the single word: pong' }];

describe('wrapOpenAI live smoke', () => {
  it.skipIf(!process.env['OPENAI_API_KEY'])('answers a JSON call and a stream through Keel', { timeout: 60_000 }, async () => {
    const openai = wrapOpenAI(new OpenAI(), { feature: 'smoke' });
    const completion = await openai.chat.completions.create({ model, messages, max_completion_tokens: 16 });
    expect(completion.object).toBe('chat.completion');
    expect(completion.choices[0]?.message.content).toMatch(/\S/);

    let text = '';
    for await (const chunk of await openai.chat.completions.create({ model, messages, max_completion_tokens: 16, stream: true })) {
      text += chunk.choices[0]?.delta.content ?? '';
    }
    expect(text).toMatch(/\S/);
    openai.keel.close();
  });
});
