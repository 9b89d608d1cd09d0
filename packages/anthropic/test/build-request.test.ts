import { describe, expect, it } from 'vitest';
import { DEFAULT_MAX_TOKENS, buildBody } from '../src/build-request.js';

describe('buildBody', () => {
  it('moves system messages to the top-level system parameter, joined, and keeps the turn order', () => {
    const body = buildBody({
      model: 'claude-test',
      messages: [
        { role: 'system', content: 'You are terse.' },
        { role: 'user', content: 'Hi.' },
        { role: 'system', content: 'Answer in English.' },
        { role: 'assistant', content: 'Hello.' },
        { role: 'user', content: 'Again.' },
      ],
    });
    expect(body).toEqual({
      model: 'claude-test',
      max_tokens: DEFAULT_MAX_TOKENS,
      system: 'You are terse.\n\nAnswer in English.',
      messages: [
        { role: 'user', content: 'Hi.' },
        { role: 'assistant', content: 'Hello.' },
        { role: 'user', content: 'Again.' },
      ],
    });
  });

  it('leaves system out when there is none, and temperature out unless set', () => {
    const body = buildBody({ model: 'm', messages: [{ role: 'user', content: 'x' }] });
    expect(body).not.toHaveProperty('system');
    expect(body).not.toHaveProperty('temperature');
    expect(body['max_tokens']).toBe(1024);
  });

  it('sends maxTokens and temperature, then spreads extra in last, its max_tokens lowered to Keel\'s', () => {
    const tools = [{ name: 'lookup', input_schema: { type: 'object' } }];
    const body = buildBody({
      model: 'm',
      messages: [{ role: 'user', content: 'x' }],
      maxTokens: 64,
      temperature: 0,
      extra: { tools, metadata: { user_id: 'u-1' }, max_tokens: 128 },
    });
    // Keel's cap (the budget's grant) wins over a larger one in extra; a smaller one stays.
    expect(body).toMatchObject({ max_tokens: 64, temperature: 0, tools, metadata: { user_id: 'u-1' } });
    expect(body['tools']).toBe(tools);
    expect(buildBody({ model: 'm', messages: [{ role: 'user', content: 'x' }], maxTokens: 64, extra: { max_tokens: 16 } })).toMatchObject({ max_tokens: 16 });
  });
});
