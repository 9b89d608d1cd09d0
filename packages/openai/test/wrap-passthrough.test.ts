import { describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import type { ChatCompletionCreateParamsNonStreaming } from 'openai/resources/chat/completions';
import type { KeelEvent } from '@keel/core';
import { createTestServer } from '@keel/testkit';
import { wrapOpenAI, type WrapOpenAIOptions } from '../src/index.js';
import { CANARY_KEY, failure } from './support.js';

const BODY = { model: 'gpt-4o-mini', messages: [{ role: 'user' as const, content: 'Say something.' }] };

function wrappedClient(url: string, options: Partial<WrapOpenAIOptions> = {}) {
  const events: KeelEvent[] = [];
  const wrapped = wrapOpenAI(new OpenAI({ apiKey: CANARY_KEY, baseURL: `${url}/v1` }), {
    feature: 'support',
    defaults: { retry: { baseDelayMs: 1, maxDelayMs: 2 } },
    ...options,
  });
  wrapped.keel.on((event) => events.push(event));
  return { wrapped, events };
}

/** Everything Keel itself does not model, in one body. */
const RICH: ChatCompletionCreateParamsNonStreaming = {
  model: 'gpt-4o-mini',
  messages: [
    { role: 'developer', content: 'Answer in JSON.' },
    {
      role: 'user',
      content: [
        { type: 'text', text: 'What is in this picture? ' },
        { type: 'image_url', image_url: { url: 'https://example.com/fox.png', detail: 'low' } },
        { type: 'text', text: 'Be brief.' },
      ],
    },
    { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'lookup', arguments: '{"q":"fox"}' } }] },
    { role: 'tool', tool_call_id: 'call_1', content: 'A red fox.' },
  ],
  tools: [{ type: 'function', function: { name: 'lookup', description: 'Looks things up', parameters: { type: 'object', properties: { q: { type: 'string' } } } } }],
  tool_choice: { type: 'function', function: { name: 'lookup' } },
  response_format: { type: 'json_schema', json_schema: { name: 'answer', schema: { type: 'object' }, strict: true } },
  metadata: { ticket: 'T-1' },
  store: true,
  seed: 7,
  logprobs: true,
  top_logprobs: 2,
  n: 1,
  max_tokens: 64,
  temperature: 0.3,
  user: 'end-user-1',
};

describe('wrapOpenAI: the request goes out as written', () => {
  it('sends tools, tool_choice, response_format, metadata, developer/tool messages and content parts untouched', async () => {
    await using server = await createTestServer();
    const { wrapped, events } = wrappedClient(server.url, { keel: { dangerouslyLogPrompts: true } });
    await wrapped.chat.completions.create({ ...RICH, keel: { feature: 'support', user: 'u-1' } });

    // Exactly the caller's body, less `keel`, plus the adapter's `stream: false`.
    expect(server.requests[0]?.body).toStrictEqual({ ...JSON.parse(JSON.stringify(RICH)), stream: false });
    // Keel accounted for a simplified copy: developer → system, parts → text, tool → user.
    const started = events.find((event) => event.type === 'call.started');
    expect(started).toMatchObject({ feature: 'support', user: 'u-1', model: 'gpt-4o-mini', maxTokens: 64 });
    expect(started?.type === 'call.started' && started.prompt).toStrictEqual([
      { role: 'system', content: 'Answer in JSON.' },
      { role: 'user', content: 'What is in this picture? Be brief.' },
      { role: 'assistant', content: '' },
      { role: 'user', content: 'A red fox.' },
    ]);
  });

  it('streams with the same body plus the adapter stream flags, keeping stream_options', async () => {
    await using server = await createTestServer();
    const { wrapped } = wrappedClient(server.url);
    const stream = await wrapped.chat.completions.create({ ...RICH, stream: true, stream_options: { include_obfuscation: false } });
    for await (const _chunk of stream);
    expect(server.requests[0]?.body).toStrictEqual({
      ...JSON.parse(JSON.stringify(RICH)),
      stream: true,
      stream_options: { include_obfuscation: false, include_usage: true },
    });
  });

  it('never sends its own max_completion_tokens next to the caller’s cap', async () => {
    await using server = await createTestServer();
    const { wrapped } = wrappedClient(server.url, { features: { support: { maxTokens: 500 } } });
    await wrapped.chat.completions.create({ ...BODY, max_tokens: 64 });
    await wrapped.chat.completions.create({ ...BODY, max_completion_tokens: 32 });
    await wrapped.chat.completions.create(BODY);

    expect(server.requests[0]?.body).toMatchObject({ max_tokens: 64 });
    expect(server.requests[0]?.body).not.toHaveProperty('max_completion_tokens');
    expect(server.requests[1]?.body).toMatchObject({ max_completion_tokens: 32 });
    expect(server.requests[1]?.body).not.toHaveProperty('max_tokens');
    // No cap in the body: the feature's own `maxTokens` applies.
    expect(server.requests[2]?.body).toMatchObject({ max_completion_tokens: 500 });
  });
});

describe('wrapOpenAI: per-call Keel fields', () => {
  it('a body field `keel` picks the feature, user, tenant and deadline, and is never sent', async () => {
    await using server = await createTestServer();
    const { wrapped, events } = wrappedClient(server.url, { features: { reports: { retry: { maxAttempts: 1 } } } });
    await wrapped.chat.completions.create({ ...BODY, keel: { feature: 'reports', user: 'u-7', tenant: 'acme', deadlineMs: 5_000 } });
    const stream = await wrapped.chat.completions.create({ ...BODY, stream: true, keel: { feature: 'reports' } });
    for await (const _chunk of stream);

    for (const request of server.requests) expect(request.body).not.toHaveProperty('keel');
    const started = events.filter((event) => event.type === 'call.started');
    expect(started).toMatchObject([
      { feature: 'reports', user: 'u-7', tenant: 'acme', stream: false },
      { feature: 'reports', stream: true },
    ]);
  });

  it('defaults to the wrapper’s feature', async () => {
    await using server = await createTestServer();
    const { wrapped, events } = wrappedClient(server.url);
    await wrapped.chat.completions.create(BODY);
    expect(events.find((event) => event.type === 'call.started')).toMatchObject({ feature: 'support' });
  });

  it('an unknown feature or a missing model is a bad_request and sends nothing', async () => {
    await using server = await createTestServer();
    const { wrapped } = wrappedClient(server.url);
    const unknown = await failure(() => wrapped.chat.completions.create({ ...BODY, keel: { feature: 'nope' } }));
    expect(unknown.kind).toBe('bad_request');
    const unknownStream = await failure(() => wrapped.chat.completions.create({ ...BODY, stream: true, keel: { feature: 'nope' } }));
    expect(unknownStream.kind).toBe('bad_request');
    const noModel = await failure(() => wrapped.chat.completions.create({ ...BODY, model: '' }));
    expect(noModel.kind).toBe('bad_request');
    expect(server.hits).toBe(0);
  });

  it('keel.deadlineMs bounds the whole call', async () => {
    await using server = await createTestServer({ script: [{ type: 'hang' }] });
    const { wrapped } = wrappedClient(server.url);
    const error = await failure(() => wrapped.chat.completions.create({ ...BODY, keel: { deadlineMs: 150 } }));
    expect(error.kind).toBe('timeout');
    await server.waitFor(() => server.requests[0]?.aborted === true);
  });

  it('falls back to the feature’s fallbackModels, returning that model’s completion', async () => {
    await using server = await createTestServer({ script: [{ type: 'status', status: 503 }] });
    const { wrapped, events } = wrappedClient(server.url, {
      features: { support: { fallbackModels: ['gpt-4o'], retry: { maxAttempts: 1 } } },
    });
    const completion = await wrapped.chat.completions.create(BODY);
    expect(completion.model).toBe('gpt-4o');
    expect(server.requests.map((request) => (request.body as { model: string }).model)).toEqual(['gpt-4o-mini', 'gpt-4o']);
    expect(events.find((event) => event.type === 'fallback')).toMatchObject({ from: 'openai/gpt-4o-mini', to: 'openai/gpt-4o' });
  });
});
