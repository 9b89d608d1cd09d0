import { describe, expect, it } from 'vitest';
import { createTestServer } from '@keel/testkit';
import { REQUEST, callContext, failure, providerFor, userClient } from './support.js';
import { createAnthropicProvider } from '../src/index.js';

describe('chat over the wire', () => {
  it('returns text, finish reason, usage and model', async () => {
    await using server = await createTestServer({
      script: [{ type: 'ok', text: 'Hello there.', usage: { inputTokens: 11, outputTokens: 3 }, model: 'claude-sonnet-4-6-20260101' }],
    });
    const response = await providerFor(server.url).chat(REQUEST, callContext());
    expect(response).toEqual({
      text: 'Hello there.',
      finishReason: 'stop',
      usage: { inputTokens: 11, outputTokens: 3 },
      model: 'claude-sonnet-4-6-20260101',
    });
    expect(server.hits).toBe(1);
    expect(server.requests[0]?.path).toBe('/v1/messages');
    expect(server.requests[0]?.stream).toBe(false);
  });

  it.each([
    ['max_tokens', 'length'],
    ['stop_sequence', 'stop'],
    ['tool_use', 'tool_calls'],
    ['pause_turn', 'other'],
  ] as const)('maps stop_reason %s to %s', async (stopReason, finishReason) => {
    await using server = await createTestServer({ script: [{ type: 'ok', finishReason: stopReason }] });
    const response = await providerFor(server.url).chat(REQUEST, callContext());
    expect(response.finishReason).toBe(finishReason);
  });

  it('throws refusal for stop_reason refusal, without the text', async () => {
    const text = 'I cannot help with that request.';
    await using server = await createTestServer({ script: [{ type: 'ok', finishReason: 'refusal', text }] });
    const error = await failure(() => providerFor(server.url).chat(REQUEST, callContext()));
    expect(error.kind).toBe('refusal');
    expect(error.retryable).toBe(false);
    expect(error.message).not.toContain(text);
  });

  it('sends system as the top-level parameter, max_tokens, temperature and extra untouched', async () => {
    await using server = await createTestServer({ script: [] });
    const extra = { metadata: { user_id: 'u-1' }, tools: [{ name: 'lookup', description: 'Look up', input_schema: { type: 'object' } }] };
    await providerFor(server.url).chat(
      {
        model: 'claude-sonnet-4-6',
        messages: [
          { role: 'system', content: 'You are terse.' },
          { role: 'system', content: 'Answer in English.' },
          { role: 'user', content: 'Say something.' },
        ],
        maxTokens: 64,
        temperature: 0.2,
        extra,
      },
      callContext(),
    );
    expect(server.requests[0]?.body).toEqual({
      model: 'claude-sonnet-4-6',
      max_tokens: 64,
      system: 'You are terse.\n\nAnswer in English.',
      messages: [{ role: 'user', content: 'Say something.' }],
      temperature: 0.2,
      stream: false,
      ...extra,
    });
  });

  it('sends the default max_tokens when the request names none', async () => {
    await using server = await createTestServer({ script: [] });
    await providerFor(server.url).chat(REQUEST, callContext());
    expect(server.requests[0]?.body).toMatchObject({ max_tokens: 1024 });
    expect(server.requests[0]?.body).not.toHaveProperty('system');
  });

  it('attaches the SDK Message as raw when asked', async () => {
    await using server = await createTestServer({ script: [{ type: 'ok', text: 'Raw.' }] });
    const response = await providerFor(server.url).chat({ ...REQUEST, includeRaw: true }, callContext());
    expect(response.raw).toMatchObject({
      type: 'message',
      role: 'assistant',
      content: [{ type: 'text', text: 'Raw.' }],
      stop_reason: 'end_turn',
    });
  });

  it('leaves the user client as it was and uses its own settings', async () => {
    await using server = await createTestServer({ script: [] });
    const client = userClient(server.url);
    const provider = createAnthropicProvider({ client, id: 'primary' });
    await provider.chat(REQUEST, callContext());
    expect(provider.id).toBe('primary');
    expect(client.maxRetries).toBe(2);
    expect(client.timeout).toBe(600_000);
    const headers = server.requests[0]?.headers ?? {};
    // The copy keeps the user's key (SDK 1.x sends it as a bearer token).
    expect(headers['authorization']).toBe(`Bearer ${client.apiKey}`);
    expect(headers['anthropic-version']).toBeDefined();
  });

  it('allows a large non-streamed max_tokens (the SDK would otherwise demand streaming)', async () => {
    await using server = await createTestServer({ script: [] });
    const response = await providerFor(server.url).chat({ ...REQUEST, maxTokens: 64_000 }, callContext());
    expect(response.finishReason).toBe('stop');
    expect(server.requests[0]?.body).toMatchObject({ max_tokens: 64_000 });
  });
});
