import { describe, expect, it } from 'vitest';
import Anthropic from '@anthropic-ai/sdk';
import type { MessageCreateParamsNonStreaming } from '@anthropic-ai/sdk/resources/messages';
import type { KeelEvent } from '@keel/core';
import { createTestServer } from '@keel/testkit';
import { wrapAnthropic, type WrapAnthropicOptions } from '../src/index.js';
import { CANARY_KEY, failure } from './support.js';

const BODY = { model: 'claude-sonnet-4-6', max_tokens: 256, messages: [{ role: 'user' as const, content: 'Say something.' }] };

function wrappedClient(url: string, options: Partial<WrapAnthropicOptions> = {}) {
  const events: KeelEvent[] = [];
  const wrapped = wrapAnthropic(new Anthropic({ apiKey: CANARY_KEY, baseURL: url }), {
    feature: 'support',
    defaults: { retry: { baseDelayMs: 1, maxDelayMs: 2 } },
    ...options,
  });
  wrapped.keel.on((event) => events.push(event));
  return { wrapped, events };
}

/** Everything Keel itself does not model, in one body. */
const RICH: MessageCreateParamsNonStreaming = {
  model: 'claude-sonnet-4-6',
  max_tokens: 64,
  system: [{ type: 'text', text: 'Answer briefly.', cache_control: { type: 'ephemeral' } }],
  messages: [
    {
      role: 'user',
      content: [
        { type: 'text', text: 'What is in this picture? ' },
        { type: 'image', source: { type: 'url', url: 'https://example.com/fox.png' } },
      ],
    },
    { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'lookup', input: { q: 'fox' } }] },
    { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: 'A red fox.' }] },
  ],
  tools: [{ name: 'lookup', description: 'Looks things up', input_schema: { type: 'object', properties: { q: { type: 'string' } } } }],
  tool_choice: { type: 'auto', disable_parallel_tool_use: true },
  metadata: { user_id: 'end-user-1' },
  stop_sequences: ['###'],
  service_tier: 'auto',
};

describe('wrapAnthropic: the request goes out as written', () => {
  it('sends system blocks, content blocks, tools, tool_choice and metadata untouched', async () => {
    await using server = await createTestServer();
    const { wrapped, events } = wrappedClient(server.url, { keel: { dangerouslyLogPrompts: true } });
    await wrapped.messages.create({ ...RICH, keel: { user: 'u-1' } });

    // Exactly the caller's body, less `keel`, plus the adapter's `stream: false`.
    expect(server.requests[0]?.body).toStrictEqual({ ...JSON.parse(JSON.stringify(RICH)), stream: false });
    const started = events.find((event) => event.type === 'call.started');
    expect(started).toMatchObject({ feature: 'support', user: 'u-1', model: 'claude-sonnet-4-6', maxTokens: 64 });
    // Keel accounted for a simplified copy: system blocks and text blocks → text.
    expect(started?.type === 'call.started' && started.prompt).toStrictEqual([
      { role: 'system', content: 'Answer briefly.' },
      { role: 'user', content: 'What is in this picture? ' },
      { role: 'assistant', content: '' },
      { role: 'user', content: 'A red fox.' },
    ]);
  });

  it('streams with the same body and stream: true', async () => {
    await using server = await createTestServer();
    const { wrapped } = wrappedClient(server.url);
    const stream = await wrapped.messages.create({ ...RICH, stream: true });
    for await (const _event of stream);
    expect(server.requests[0]?.body).toStrictEqual({ ...JSON.parse(JSON.stringify(RICH)), stream: true });
  });

  it('header params still become headers (the SDK moves them out of the body)', async () => {
    await using server = await createTestServer();
    const { wrapped } = wrappedClient(server.url);
    await wrapped.messages.create({ ...BODY, workspace_id: 'wrkspc_1' });
    expect(server.requests[0]?.headers['anthropic-workspace-id']).toBe('wrkspc_1');
    expect(server.requests[0]?.body).not.toHaveProperty('workspace_id');
  });

  it('sends max_tokens: 0 (prompt-cache pre-warming) as written', async () => {
    await using server = await createTestServer();
    const { wrapped } = wrappedClient(server.url);
    await wrapped.messages.create({ ...BODY, max_tokens: 0 });
    expect(server.requests[0]?.body).toMatchObject({ max_tokens: 0 });
  });
});

describe('wrapAnthropic: per-call Keel fields', () => {
  it('a body field `keel` picks the feature, user, tenant and deadline, and is never sent', async () => {
    await using server = await createTestServer();
    const { wrapped, events } = wrappedClient(server.url, { features: { reports: { retry: { maxAttempts: 1 } } } });
    await wrapped.messages.create({ ...BODY, keel: { feature: 'reports', user: 'u-7', tenant: 'acme', deadlineMs: 5_000 } });
    const stream = await wrapped.messages.create({ ...BODY, stream: true, keel: { feature: 'reports' } });
    for await (const _event of stream);

    for (const request of server.requests) expect(request.body).not.toHaveProperty('keel');
    expect(events.filter((event) => event.type === 'call.started')).toMatchObject([
      { feature: 'reports', user: 'u-7', tenant: 'acme', stream: false },
      { feature: 'reports', stream: true },
    ]);
  });

  it('an unknown feature is a bad_request and sends nothing', async () => {
    await using server = await createTestServer();
    const { wrapped } = wrappedClient(server.url);
    expect((await failure(() => wrapped.messages.create({ ...BODY, keel: { feature: 'nope' } }))).kind).toBe('bad_request');
    expect((await failure(() => wrapped.messages.create({ ...BODY, stream: true, keel: { feature: 'nope' } }))).kind).toBe('bad_request');
    expect(server.hits).toBe(0);
  });

  it('falls back to the feature’s fallbackModels on a 529', async () => {
    await using server = await createTestServer({ script: [{ type: 'status', status: 529 }] });
    const { wrapped } = wrappedClient(server.url, {
      features: { support: { fallbackModels: ['claude-haiku-4-5'], retry: { maxAttempts: 1 } } },
    });
    const message = await wrapped.messages.create(BODY);
    expect(message.model).toBe('claude-haiku-4-5');
    expect(server.requests.map((request) => (request.body as { model: string }).model)).toEqual(['claude-sonnet-4-6', 'claude-haiku-4-5']);
  });
});
