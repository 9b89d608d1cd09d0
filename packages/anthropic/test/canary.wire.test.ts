import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import Anthropic from '@anthropic-ai/sdk';
import { createTestServer, type Fault } from '@keel/testkit';
import type { KeelError, ProviderRequest } from '@keel/core';
import { secretsOf } from '../src/client.js';
import { createAnthropicProvider } from '../src/index.js';
import { callContext, collect, failure } from './support.js';

// Canaries of shapes no key regex knows (no `sk-`, no `Bearer` next to them when echoed): only
// the exact values the adapter collects from the client can catch them.
const API_KEY = 'Zq3xV9mT2bK7pL4wR8nC1yH6dF0sJ5aG'; // random base64url, no prefix
const GATEWAY_KEY = '5d1f8c2e-9a47-4b3e-8f61-c02d7e9b4a15'; // UUID-ish (x-portkey-api-key)
const AZURE_KEY = '0f3a9c7e5b2d8046aa1b2c3d4e5f6a7b'; // hex (Azure `api-key`)
const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJrZWVsLWNhbmFyeSJ9.c2lnbmF0dXJlLWNhbmFyeS0wMDA'; // JWT-like
const SECRETS = [API_KEY, GATEWAY_KEY, AZURE_KEY, JWT];

// Prompt canaries: a short system prompt, and a user message longer than any error message.
const SYSTEM = 'You are the Nightingale negotiation assistant.';
const PROMPT = `Draft the Nightingale acquisition memo, codename 7f2c9e41. ${'Confidential figures follow. '.repeat(40)}`;
const PROMPT_MARKS = ['Nightingale', '7f2c9e41', 'Confidential figures'];

const REQUEST: ProviderRequest = {
  model: 'claude-sonnet-4-6',
  messages: [
    { role: 'system', content: SYSTEM },
    { role: 'user', content: PROMPT },
  ],
};

function client(url: string): Anthropic {
  return new Anthropic({
    apiKey: API_KEY,
    baseURL: url,
    defaultHeaders: { 'x-portkey-api-key': GATEWAY_KEY, 'api-key': AZURE_KEY, 'x-gateway-token': JWT },
  });
}

/** Every rendering of an error a service might log or send on. */
function renderings(error: KeelError): string[] {
  return [
    error.message,
    String(error),
    error.stack ?? '',
    JSON.stringify(error),
    JSON.stringify(error.cause ?? null),
    inspect(error, { depth: 20, showHidden: true }),
  ];
}

function expectClean(error: KeelError): void {
  for (const text of renderings(error)) {
    for (const secret of SECRETS) expect(text).not.toContain(secret);
    for (const mark of PROMPT_MARKS) expect(text).not.toContain(mark);
  }
}

const echoAll = `echo: ${API_KEY} ${GATEWAY_KEY} ${AZURE_KEY} ${JWT}`;

interface Case {
  readonly name: string;
  readonly fault: Fault;
  /** Faults that fail only a stream (a JSON request gets a normal reply). */
  readonly streamOnly?: boolean;
}

const cases: Case[] = [
  { name: '401 with the masked key', fault: { type: 'status', status: 401 } },
  { name: '401 echoing the whole key', fault: { type: 'status', status: 401, error: { type: 'authentication_error', message: `invalid x-api-key: ${API_KEY}` } } },
  { name: '400 echoing every header value bare', fault: { type: 'status', status: 400, error: { message: echoAll, code: GATEWAY_KEY } } },
  { name: '400 echoing the prompt', fault: { type: 'status', status: 400, echoRequest: true } },
  { name: '422 echoing the prompt and a header', fault: { type: 'status', status: 422, echoRequest: true, error: { message: `for ${AZURE_KEY}:` } } },
  { name: '400 quoting the system prompt', fault: { type: 'status', status: 400, error: { message: `system: Input should be a valid list: '${SYSTEM}'` } } },
  { name: '502 HTML page with a key and the prompt', fault: { type: 'status', status: 502, body: `<html>upstream said ${JWT} for ${PROMPT}</html>` } },
  { name: '429', fault: { type: 'status', status: 429 } },
  { name: 'reset', fault: { type: 'reset' } },
  { name: 'malformed JSON', fault: { type: 'malformed-json' } },
  { name: 'reset mid-body', fault: { type: 'reset-after', chunks: 1 } },
  { name: 'malformed SSE', fault: { type: 'malformed-sse' } },
  { name: 'error event echoing keys and prompt', fault: { type: 'error-event', message: `stream failed for ${GATEWAY_KEY}: ${PROMPT.slice(0, 80)}` } },
  { name: 'stream without a finish', fault: { type: 'no-done', finish: false }, streamOnly: true },
];

describe('no key, header value or prompt text leaks into an error', () => {
  it.each(cases)('$name', async ({ fault, streamOnly }) => {
    await using server = await createTestServer({ script: streamOnly ? [fault] : [fault, fault] });
    const provider = createAnthropicProvider({ client: client(server.url) });
    const errors = [await failure(() => collect(provider.stream(REQUEST, callContext())))];
    if (!streamOnly) errors.push(await failure(() => provider.chat(REQUEST, callContext())));
    for (const error of errors) expectClean(error);
  });

  it('control: the echo fault really puts the prompt in the body, and the error keeps the rest of the message', async () => {
    await using server = await createTestServer({ script: [{ type: 'status', status: 400, echoRequest: true }, { type: 'status', status: 400, echoRequest: true }] });
    const raw: unknown = await client(server.url)
      .messages.create({ model: 'm', max_tokens: 5, messages: [{ role: 'user', content: PROMPT }] }, { maxRetries: 0 })
      .catch((e: unknown) => e);
    expect(String(raw)).toContain('Nightingale acquisition memo');
    const error = await failure(() => createAnthropicProvider({ client: client(server.url) }).chat(REQUEST, callContext()));
    expect(error.kind).toBe('bad_request');
    expect(error.message).toContain('Invalid request.');
    expect(error.message).toContain('[prompt redacted]');
  });

  it('secretsOf collects the key and every default header value', () => {
    // If it returned nothing, every bare-canary case above would leak.
    expect(secretsOf(client('http://127.0.0.1:1'))).toEqual(expect.arrayContaining(SECRETS));
    const bearer = new Anthropic({ authToken: 'unused-token-000000', baseURL: 'http://x', defaultHeaders: { Authorization: `Bearer ${JWT}` }, defaultQuery: { key: AZURE_KEY } });
    expect(secretsOf(bearer)).toEqual(expect.arrayContaining([`Bearer ${JWT}`, JWT, AZURE_KEY]));
  });

  it('a key used as the model name is scrubbed from every field', async () => {
    await using server = await createTestServer({ script: [{ type: 'status', status: 404 }] });
    const error = await failure(() => createAnthropicProvider({ client: client(server.url) }).chat({ ...REQUEST, model: API_KEY }, callContext()));
    expect(error.kind).toBe('not_found');
    expect(error.model).toBe('[redacted]');
    expectClean(error);
  });
});
