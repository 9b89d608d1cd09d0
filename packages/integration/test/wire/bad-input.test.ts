/**
 * Bad input, through both drop-ins (chat and stream) and keel.chat / keel.stream over the real
 * SDK clients: always a `bad_request` KeelError with issues naming the path, and nothing reaches
 * the wire (the testkit server's request log stays empty). Legitimate SDK shapes still go out.
 */
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { createAnthropicProvider, wrapAnthropic } from '@keel/anthropic';
import { createOpenAIProvider, wrapOpenAI } from '@keel/openai';
import { createTestServer, keelFailure, type TestServer } from '@keel/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { createKeel, type ChatRequest, type Keel } from '@keel/core';

const KEY = 'test-key-bad-input-91c2';
const PROMPT = 'CANARY-PROMPT-bad-input-7731';

let server: TestServer | undefined;
let keel: Keel | undefined;
afterEach(async () => {
  keel?.close();
  await server?.close();
});

const openAIClient = (url: string) => new OpenAI({ apiKey: KEY, baseURL: `${url}/v1` });
const anthropicClient = (url: string) => new Anthropic({ apiKey: KEY, baseURL: url });

/** A drop-in `create`, whichever SDK, called with a body as an untyped service might write it. */
type Create = (body: unknown) => Promise<unknown>;

async function dropIn(sdk: 'openai' | 'anthropic'): Promise<{ create: Create; server: TestServer }> {
  server = await createTestServer();
  if (sdk === 'openai') {
    const wrapped = wrapOpenAI(openAIClient(server.url), { feature: 'support' });
    keel = wrapped.keel;
    return { create: (body) => wrapped.chat.completions.create(body as never), server };
  }
  const wrapped = wrapAnthropic(anthropicClient(server.url), { feature: 'support' });
  keel = wrapped.keel;
  return { create: (body) => wrapped.messages.create(body as never), server };
}

const MODEL = { openai: 'gpt-4o-mini', anthropic: 'claude-sonnet-4-6' } as const;
const base = (sdk: 'openai' | 'anthropic') => ({ model: MODEL[sdk], ...(sdk === 'anthropic' ? { max_tokens: 64 } : {}) });

/** Bodies neither SDK would accept, with the issue path each must name. */
const BAD_BODIES: [string, Record<string, unknown>, RegExp][] = [
  ['no messages', {}, /^messages: /],
  ['messages not an array', { messages: PROMPT }, /^messages: /],
  ['messages an object', { messages: { role: 'user', content: PROMPT } }, /^messages: /],
  ['a null message', { messages: [{ role: 'user', content: PROMPT }, null] }, /^messages\.1: /],
  ['content: 42', { messages: [{ role: 'user', content: 42 }] }, /^messages\.0\.content: /],
  ['a user message without content', { messages: [{ role: 'user' }] }, /^messages\.0\.content: /],
  ['a text part without text', { messages: [{ role: 'user', content: [{ type: 'text', text: 7 }] }] }, /^messages\.0\.content\.0\.text: /],
  ['a content part that is not an object', { messages: [{ role: 'user', content: [PROMPT] }] }, /^messages\.0\.content: /],
  ['an unknown role', { messages: [{ role: 'wizard', content: PROMPT }] }, /^messages\.0\.role: /],
  ['no model', { model: undefined, messages: [{ role: 'user', content: PROMPT }] }, /^model: /],
  ['a misspelt keel field', { messages: [{ role: 'user', content: PROMPT }], keel: { feture: 'x' } }, /^keel: .*feture/],
];

describe.each(['openai', 'anthropic'] as const)('%s drop-in: bad bodies are bad_request and nothing is sent', (sdk) => {
  describe.each([false, true])('stream: %s', (stream) => {
    it.each(BAD_BODIES)('%s', async (_name, body, issue) => {
      const { create, server } = await dropIn(sdk);
      const error = await keelFailure(async () => create({ ...base(sdk), ...body, stream }));
      expect(error.kind).toBe('bad_request');
      expect(error.issues).toEqual(expect.arrayContaining([expect.stringMatching(issue)]));
      expect(error.message).not.toContain(PROMPT);
      expect(server.requests).toHaveLength(0);
    });

    it('a body that is not an object', async () => {
      const { create, server } = await dropIn(sdk);
      for (const body of [null, undefined, PROMPT]) {
        const error = await keelFailure(async () => create(body));
        expect(error).toMatchObject({ kind: 'bad_request', issues: ['the request body must be an object'] });
      }
      expect(server.requests).toHaveLength(0);
    });
  });
});

describe('anthropic drop-in: system is a string or text blocks', () => {
  it.each([
    ['a number', 42, /^system: /],
    ['a block without text', [{ type: 'text' }], /^system\.0\.text: /],
  ])('system as %s is bad_request and nothing is sent', async (_name, system, issue) => {
    const { create, server } = await dropIn('anthropic');
    const error = await keelFailure(async () => create({ ...base('anthropic'), system, messages: [{ role: 'user', content: PROMPT }] }));
    expect(error).toMatchObject({ kind: 'bad_request', issues: [expect.stringMatching(issue)] });
    expect(server.requests).toHaveLength(0);
  });

  it('a tool_result block with bad content names its nested path', async () => {
    const { create, server } = await dropIn('anthropic');
    const content = [{ type: 'tool_result', tool_use_id: 't1', content: [{ type: 'text', text: null }] }];
    const error = await keelFailure(async () => create({ ...base('anthropic'), messages: [{ role: 'user', content }] }));
    expect(error.issues).toEqual(['messages.0.content.0.content.0.text: a text part needs a string `text`']);
    expect(server.requests).toHaveLength(0);
  });
});

/** Shapes the SDKs accept that Keel's own `{ role, content: string }` does not: they must still go out. */
const LEGIT: Record<'openai' | 'anthropic', [string, Record<string, unknown>][]> = {
  openai: [
    ['assistant tool calls with null content', {
      messages: [
        { role: 'user', content: PROMPT },
        { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: '{}' } }] },
        { role: 'tool', tool_call_id: 'c1', content: [{ type: 'text', text: 'done' }] },
      ],
    }],
    ['an assistant refusal without content', { messages: [{ role: 'user', content: PROMPT }, { role: 'assistant', refusal: 'no' }, { role: 'user', content: 'ok' }] }],
    ['a function result with null content', { messages: [{ role: 'user', content: PROMPT }, { role: 'function', name: 'f', content: null }] }],
    ['developer parts and user image and audio parts', {
      messages: [
        { role: 'developer', content: [{ type: 'text', text: 'Be brief.' }] },
        { role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://example.com/a.png' } }, { type: 'input_audio', input_audio: { data: 'AAAA', format: 'wav' } }] },
      ],
    }],
  ],
  anthropic: [
    ['system as a string', { system: 'Be brief.', messages: [{ role: 'user', content: PROMPT }] }],
    ['system as text blocks', { system: [{ type: 'text', text: 'Be brief.', cache_control: { type: 'ephemeral' } }], messages: [{ role: 'user', content: PROMPT }] }],
    ['tool use, then a tool result of blocks', {
      messages: [
        { role: 'user', content: PROMPT },
        { role: 'assistant', content: [{ type: 'thinking', thinking: 'hm', signature: 's' }, { type: 'tool_use', id: 't1', name: 'f', input: {} }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't1', content: [{ type: 'text', text: 'done' }, { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'AAAA' } }] }] },
      ],
    }],
    ['a tool result without content', { messages: [{ role: 'user', content: [{ type: 'tool_result', tool_use_id: 't1', is_error: true }] }] }],
  ],
};

describe.each(['openai', 'anthropic'] as const)('%s drop-in: legitimate SDK shapes reach the wire as written', (sdk) => {
  it.each(LEGIT[sdk])('%s', async (_name, body) => {
    const { create, server } = await dropIn(sdk);
    await create({ ...base(sdk), ...body });
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]?.body).toMatchObject(JSON.parse(JSON.stringify(body)) as Record<string, unknown>);
  });
});

async function keelOver(sdk: 'openai' | 'anthropic') {
  server = await createTestServer();
  const provider = sdk === 'openai' ? createOpenAIProvider({ client: openAIClient(server.url) }) : createAnthropicProvider({ client: anthropicClient(server.url) });
  keel = createKeel({ providers: [provider], features: { f: { models: [{ provider: provider.id, model: MODEL[sdk] }], maxTokens: 64 } } });
  return { keel, server };
}

const messages = [{ role: 'user', content: PROMPT }];
/** Requests keel.chat / keel.stream must refuse, with the issue path each must name. */
const BAD_REQUESTS: [string, Record<string, unknown>, RegExp][] = [
  ['no messages', { feature: 'f' }, /^messages: /],
  ['messages not an array', { feature: 'f', messages: PROMPT }, /^messages: /],
  ['a null message', { feature: 'f', messages: [...messages, null] }, /^messages\.1: /],
  ['content: 42', { feature: 'f', messages: [{ role: 'user', content: 42 }] }, /^messages\.0\.content: /],
  ['a message without content', { feature: 'f', messages: [{ role: 'user' }] }, /^messages\.0\.content: /],
  ["extra: 'oops'", { feature: 'f', messages, extra: 'oops' }, /^extra: /],
  ['extra as an array', { feature: 'f', messages, extra: ['oops'] }, /^extra: /],
  ['extra: null', { feature: 'f', messages, extra: null }, /^extra: /],
];

describe.each(['openai', 'anthropic'] as const)('keel.chat / keel.stream over %s: bad requests are bad_request and nothing is sent', (sdk) => {
  it.each(BAD_REQUESTS)('%s', async (_name, request, issue) => {
    const { keel, server } = await keelOver(sdk);
    const chatError = await keelFailure(async () => keel.chat(request as ChatRequest));
    // keel.stream throws at once, before an iterator exists.
    const streamError = await keelFailure(async () => keel.stream(request as ChatRequest));
    for (const error of [chatError, streamError]) {
      expect(error.kind).toBe('bad_request');
      expect(error.issues).toEqual(expect.arrayContaining([expect.stringMatching(issue)]));
      expect(error.message).not.toContain(PROMPT);
    }
    expect(server.requests).toHaveLength(0);
  });

  it('extra as an object still reaches the wire untouched', async () => {
    const { keel, server } = await keelOver(sdk);
    await keel.chat({ feature: 'f', messages: [{ role: 'user', content: PROMPT }], extra: { metadata: { ticket: 'T-1' } } });
    expect(server.requests[0]?.body).toMatchObject({ metadata: { ticket: 'T-1' } });
  });
});
