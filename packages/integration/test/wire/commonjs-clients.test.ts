/**
 * Services that `require()` the SDKs: their clients throw the CommonJS copy's error classes.
 * Through Keel's pipeline they must retry (or not) exactly as ESM clients do.
 */
import { createRequire } from 'node:module';
import { inspect } from 'node:util';
import type * as OpenAISdk from 'openai';
import type * as AnthropicSdk from '@anthropic-ai/sdk';
import { describe, expect, it } from 'vitest';
import { createAnthropicProvider } from '@keel/anthropic';
import { createOpenAIProvider } from '@keel/openai';
import { createTestServer, type Fault } from '@keel/testkit';
import { createKeel, type Provider } from '@keel/core';
import { failure } from '../pipeline/helpers.js';

const require = createRequire(import.meta.url);
const { OpenAI } = require('openai') as typeof OpenAISdk;
const { Anthropic } = require('@anthropic-ai/sdk') as typeof AnthropicSdk;
// Not key-shaped: only the adapter's exact-value scrub can catch it.
const KEY = 'S2VlbC1jb21tb25qcy1jYW5hcnktMDAx';

const adapters: Record<'openai' | 'anthropic', (url: string) => { provider: Provider; model: string }> = {
  openai: (url) => ({ provider: createOpenAIProvider({ client: new OpenAI({ apiKey: KEY, baseURL: `${url}/v1` }) }), model: 'gpt-4o-mini' }),
  anthropic: (url) => ({ provider: createAnthropicProvider({ client: new Anthropic({ apiKey: KEY, baseURL: url }) }), model: 'claude-sonnet-4-6' }),
};

function keelFor(name: 'openai' | 'anthropic', url: string, model?: string) {
  const { provider, model: defaultModel } = adapters[name](url);
  return createKeel({
    providers: [provider],
    features: { f: { models: [{ provider: name, model: model ?? defaultModel }], retry: { maxAttempts: 3, baseDelayMs: 1 } } },
    defaults: { breaker: { minimumAttempts: 1_000 } },
  });
}

const messages = [{ role: 'user' as const, content: 'Say something.' }];

describe.each(['openai', 'anthropic'] as const)('a CommonJS %s client through the pipeline', (name) => {
  it.each<[string, Fault, string]>([
    ['400', { type: 'status', status: 400 }, 'bad_request'],
    ['401', { type: 'status', status: 401 }, 'auth'],
  ])('a %s is sent once, not retried', async (_label, fault, kind) => {
    await using server = await createTestServer({ script: [fault, fault, fault] });
    const keel = keelFor(name, server.url);
    expect((await failure(() => keel.chat({ feature: 'f', messages }))).kind).toBe(kind);
    expect(server.hits).toBe(1);
    keel.close();
  });

  it("a 429's retry-after-ms is the wait before the retry", async () => {
    await using server = await createTestServer({ script: [{ type: 'status', status: 429, headers: { 'retry-after-ms': '15' } }] });
    const keel = keelFor(name, server.url);
    const result = await keel.chat({ feature: 'f', messages });
    expect(result.attempts.map((attempt) => [attempt.outcome, attempt.waitMs])).toEqual([['rate_limited', 15], ['ok', undefined]]);
    keel.close();
  });

  it('a key used as the model name reaches no field of the error, attempts included', async () => {
    await using server = await createTestServer({ script: [{ type: 'status', status: 404 }] });
    const keel = keelFor(name, server.url, KEY);
    const error = await failure(() => keel.chat({ feature: 'f', messages }));
    expect(error.kind).toBe('not_found');
    expect(error.attempts.length).toBeGreaterThan(0);
    for (const text of [error.message, JSON.stringify(error), inspect(error, { depth: 20 }), String(error.stack)]) expect(text).not.toContain(KEY);
    keel.close();
  });
});
