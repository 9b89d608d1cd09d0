import { describe, expect, it } from 'vitest';
import { createTestServer } from '@keel/testkit';
import OpenAI from 'openai';
import { CANARY_KEY, REQUEST, callContext, providerFor, userClient } from './support.js';
import { createOpenAIProvider } from '../src/index.js';

describe('chat over the wire', () => {
  it('returns text, finish reason, usage and model', async () => {
    await using server = await createTestServer({
      script: [{ type: 'ok', text: 'Hello there.', usage: { inputTokens: 11, outputTokens: 3 }, model: 'gpt-4o-mini-2024-07-18' }],
    });
    const response = await providerFor(server.url).chat(REQUEST, callContext());
    expect(response).toEqual({
      text: 'Hello there.',
      finishReason: 'stop',
      usage: { inputTokens: 11, outputTokens: 3 },
      model: 'gpt-4o-mini-2024-07-18',
    });
    expect(server.hits).toBe(1);
  });

  it('maps finish_reason length', async () => {
    await using server = await createTestServer({ script: [{ type: 'ok', finishReason: 'length' }] });
    const response = await providerFor(server.url).chat(REQUEST, callContext());
    expect(response.finishReason).toBe('length');
  });

  it('sends max_completion_tokens, temperature and extra untouched', async () => {
    await using server = await createTestServer({ script: [] });
    const extra = { response_format: { type: 'json_object' }, user: 'u-1', seed: 7 };
    await providerFor(server.url).chat({ ...REQUEST, maxTokens: 64, temperature: 0.2, extra }, callContext());
    expect(server.requests[0]?.path).toBe('/v1/chat/completions');
    expect(server.requests[0]?.stream).toBe(false);
    expect(server.requests[0]?.body).toMatchObject({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'Say something.' }],
      max_completion_tokens: 64,
      temperature: 0.2,
      ...extra,
    });
  });

  it('leaves max_completion_tokens out when extra sends max_tokens', async () => {
    await using server = await createTestServer({ script: [] });
    await providerFor(server.url).chat({ ...REQUEST, maxTokens: 64, extra: { max_tokens: 32 } }, callContext());
    const body = server.requests[0]?.body as Record<string, unknown>;
    expect(body['max_tokens']).toBe(32);
    expect(body).not.toHaveProperty('max_completion_tokens');
  });

  it('attaches the SDK ChatCompletion as raw when asked', async () => {
    await using server = await createTestServer({ script: [{ type: 'ok', text: 'Raw.' }] });
    const response = await providerFor(server.url).chat({ ...REQUEST, includeRaw: true }, callContext());
    expect(response.raw).toMatchObject({
      object: 'chat.completion',
      choices: [{ index: 0, message: { role: 'assistant', content: 'Raw.' }, finish_reason: 'stop' }],
    });
  });

  it('drops the user client SDK timeout: Keel owns time', async () => {
    await using server = await createTestServer({ script: [{ type: 'slow-headers', delayMs: 300 }] });
    const client = new OpenAI({ apiKey: CANARY_KEY, baseURL: `${server.url}/v1`, timeout: 50, maxRetries: 0 });
    const response = await createOpenAIProvider({ client }).chat(REQUEST, callContext());
    expect(response.text.length).toBeGreaterThan(0);
  });

  it('leaves the user client as it was and uses its own settings', async () => {
    await using server = await createTestServer({ script: [] });
    const client = userClient(server.url);
    const provider = createOpenAIProvider({ client, id: 'primary' });
    await provider.chat(REQUEST, callContext());
    expect(provider.id).toBe('primary');
    expect(client.maxRetries).toBe(2);
    expect(server.requests[0]?.headers['authorization']).toBe(`Bearer ${client.apiKey}`);
  });
});
