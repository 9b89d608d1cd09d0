import { createScriptedProvider } from '@keel/testkit';
import { describe, expect, it } from 'vitest';
import { KeelError, type ChatRequest } from '@keel/core';
import { keelWith, user, failure } from './helpers.js';

describe('request validation', () => {
  const cases: [string, unknown, RegExp][] = [
    ['empty messages', { feature: 'f', messages: [] }, /messages: at least one message/],
    ['negative maxTokens', { feature: 'f', messages: user(), maxTokens: -1 }, /maxTokens/],
    ['wrong role', { feature: 'f', messages: [{ role: 'wizard', content: 'x' }] }, /messages\.0\.role/],
    ['missing content', { feature: 'f', messages: [{ role: 'user' }] }, /messages\.0\.content/],
    ['unknown field', { feature: 'f', messages: user(), maxTokenz: 5 }, /maxTokenz/],
    ['temperature out of range', { feature: 'f', messages: user(), temperature: 9 }, /temperature/],
    ['unknown feature', { feature: 'nope', messages: user() }, /unknown feature "nope"/],
    ['no request at all', undefined, /feature/],
  ];
  it.each(cases)('%s is a bad_request listing the issue, and nothing is sent', async (_name, request, pattern) => {
    const provider = createScriptedProvider();
    const { keel } = keelWith(provider);
    const error = await failure(keel.chat(request as ChatRequest));
    expect(KeelError.is(error)).toBe(true);
    expect(error.kind).toBe('bad_request');
    expect(error.issues?.join('\n')).toMatch(pattern);
    expect(provider.calls).toHaveLength(0);
    keel.close();
  });

  it('a bad chat request is a rejected promise, not a synchronous throw; keel.stream throws at once', async () => {
    const { keel } = keelWith(createScriptedProvider());
    let chat: Promise<unknown> | undefined;
    expect(() => (chat = keel.chat({ feature: 'nope', messages: user() }))).not.toThrow();
    await expect(chat).rejects.toMatchObject({ kind: 'bad_request' });
    expect(() => keel.stream({ feature: 'nope', messages: user() })).toThrow(/Unknown feature "nope"/);
    keel.close();
  });

  it('never echoes message content in the error', async () => {
    const { keel } = keelWith(createScriptedProvider());
    const error = await failure(keel.chat({ feature: 'f', messages: [{ role: 'hacker' as 'user', content: 'CANARY-PROMPT-42' }] }));
    expect(JSON.stringify(error)).not.toContain('CANARY-PROMPT-42');
    expect(error.message).not.toContain('CANARY-PROMPT-42');
    keel.close();
  });

  it('passes model, maxTokens, temperature and feature defaults to the provider', async () => {
    const provider = createScriptedProvider();
    const { keel } = keelWith(provider, { maxTokens: 100, temperature: 0.2 });
    await keel.chat({ feature: 'f', messages: user() });
    await keel.chat({ feature: 'f', messages: user(), model: 'other', maxTokens: 5, temperature: 1 });
    expect(provider.calls.map((c) => [c.request.model, c.request.maxTokens, c.request.temperature])).toEqual([
      ['m', 100, 0.2],
      ['other', 5, 1],
    ]);
    keel.close();
  });
});
