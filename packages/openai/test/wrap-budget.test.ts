import OpenAI from 'openai';
import { createTestServer } from '@keel/testkit';
import { describe, expect, it } from 'vitest';
import { wrapOpenAI } from '../src/index.js';
import { CANARY_KEY, failure } from './support.js';

const BODY = { model: 'gpt-4o-mini', messages: [{ role: 'user' as const, content: 'Say something.' }], keel: { user: 'alice' } };

describe('wrapOpenAI with a per-user budget', () => {
  it('charges each call to the user, priced on the call model, and refuses once it is spent without sending', async () => {
    await using server = await createTestServer();
    const openai = wrapOpenAI(new OpenAI({ apiKey: CANARY_KEY, baseURL: `${server.url}/v1` }), {
      feature: 'support',
      features: {
        support: {
          maxTokens: 50,
          budget: {
            limits: [
              { scope: 'user', unit: 'tokens', limit: 150, window: 'day' },
              { scope: 'feature', unit: 'usd', limit: 1, window: 'month' },
            ],
          },
        },
      },
    });
    const first = await openai.chat.completions.create(BODY);
    expect(first.choices[0]!.message.content).toBe('The quick brown fox jumps over the lazy dog.');
    // The reservation clamps nothing here, but Keel sent the budgeted cap as max_completion_tokens.
    expect(server.requests[0]!.body).toMatchObject({ max_completion_tokens: 50 });
    let calls = 1;
    const error = await failure(async () => {
      for (; calls < 10; calls++) await openai.chat.completions.create(BODY);
    });
    expect(calls).toBeLessThan(10);
    expect(error).toMatchObject({ kind: 'budget_exceeded', budget: { scope: 'user', unit: 'tokens', limit: 150 } });
    const sent = server.hits;
    await expect(openai.chat.completions.create(BODY)).rejects.toMatchObject({ kind: 'budget_exceeded' });
    expect(server.hits).toBe(sent); // refused before anything was sent
    // Bob has his own budget.
    await expect(openai.chat.completions.create({ ...BODY, keel: { user: 'bob' } })).resolves.toMatchObject({ object: 'chat.completion' });
    openai.keel.close();
  });
});
