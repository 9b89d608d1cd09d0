/**
 * The per-feature request-size guard (`maxRequestBytes`, default 4 MiB): a runaway prompt is a
 * `bad_request` before anything is counted or sent — with or without a budget, through
 * keel.chat, keel.stream and the drop-in — and a prompt just under the limit still goes out.
 */
import OpenAI from 'openai';
import { createOpenAIProvider, wrapOpenAI } from '@keel/openai';
import { createTestServer, keelFailure, type TestServer } from '@keel/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { createKeel, DEFAULT_MAX_REQUEST_BYTES, EXACT_COUNT_MAX_TOKENS, type FeatureConfig, type Keel } from '@keel/core';

let server: TestServer | undefined;
let keel: Keel | undefined;
afterEach(async () => {
  keel?.close();
  await server?.close();
});

async function keelFor(feature: Partial<FeatureConfig>): Promise<Keel> {
  server = await createTestServer();
  const client = new OpenAI({ apiKey: 'test-key-size', baseURL: `${server.url}/v1` });
  keel = createKeel({
    providers: [createOpenAIProvider({ client })],
    features: { f: { models: [{ provider: 'openai', model: 'gpt-4o-mini' }], ...feature } },
  });
  return keel;
}

const FIVE_MB = 'x'.repeat(5 * 1024 * 1024);
const user = (content: string) => [{ role: 'user' as const, content }];

describe('maxRequestBytes', () => {
  it('refuses a 5 MB prompt on a feature with no budget: bad_request, nothing sent', async () => {
    const k = await keelFor({});
    const error = await keelFailure(() => k.chat({ feature: 'f', messages: user(FIVE_MB) }));
    expect(error.kind).toBe('bad_request');
    expect(error.issues?.[0]).toMatch(/^messages: 5242880 bytes of text, over the feature's maxRequestBytes of 4194304$/);
    expect(error.message).not.toContain('xxxx');
    expect(server!.requests).toHaveLength(0);
  });

  it('refuses it on a budgeted feature before any token count, and for streams', async () => {
    const k = await keelFor({ maxTokens: 64, budget: { limits: [{ scope: 'feature', unit: 'tokens', limit: 10_000_000, window: 'day' }] } });
    const chat = await keelFailure(() => k.chat({ feature: 'f', messages: user(FIVE_MB) }));
    const stream = await keelFailure(() => k.stream({ feature: 'f', messages: user(FIVE_MB) }).text());
    expect([chat.kind, stream.kind]).toEqual(['bad_request', 'bad_request']);
    expect(server!.requests).toHaveLength(0);
  });

  it('counts UTF-8 bytes, not string length: 2 MB of 3-byte characters is over a 4 MiB limit', async () => {
    const k = await keelFor({});
    const error = await keelFailure(() => k.chat({ feature: 'f', messages: user('€'.repeat(2 * 1024 * 1024)) }));
    expect(error.kind).toBe('bad_request');
    expect(server!.requests).toHaveLength(0);
  });

  it('sends a prompt at the limit, and honours a feature that sets its own', async () => {
    const k = await keelFor({ maxRequestBytes: 1_000 });
    await expect(k.chat({ feature: 'f', messages: user('y'.repeat(1_000)) })).resolves.toMatchObject({ finishReason: 'stop' });
    const error = await keelFailure(() => k.chat({ feature: 'f', messages: user('y'.repeat(1_001)) }));
    expect(error.kind).toBe('bad_request');
    expect(server!.requests).toHaveLength(1);
    expect(DEFAULT_MAX_REQUEST_BYTES).toBe(4 * 1024 * 1024);
  });

  it('guards the drop-in too', async () => {
    server = await createTestServer();
    const wrapped = wrapOpenAI(new OpenAI({ apiKey: 'test-key-size', baseURL: `${server.url}/v1` }), { feature: 'support' });
    keel = wrapped.keel;
    const error = await keelFailure(() => wrapped.chat.completions.create({ model: 'gpt-4o-mini', messages: user(FIVE_MB) }));
    expect(error.kind).toBe('bad_request');
    expect(server.requests).toHaveLength(0);
  });
});

describe('the exact token count is bounded', () => {
  const budget = (limit: number) => ({
    maxTokens: 16,
    budget: { limits: [{ scope: 'feature' as const, unit: 'tokens' as const, limit, window: 'day' as const }] },
  });

  it('counts a 100 KB prompt exactly when its byte bound is refused, and admits it', async () => {
    const k = await keelFor(budget(50_000));
    const prompt = 'hello '.repeat(100_000 / 6); // ~17k tokens exactly, a ~100k-token byte bound
    await expect(k.chat({ feature: 'f', messages: user(prompt) })).resolves.toMatchObject({ finishReason: 'stop' });
    expect(server!.requests).toHaveLength(1);
  });

  it('decides a prompt over EXACT_COUNT_MAX_TOKENS on its bound alone: refused, nothing sent, no tokenizer pass', async () => {
    // ~1 MB: ~175k tokens exactly (it would fit 500k), ~1M by the byte bound (it does not).
    const k = await keelFor(budget(500_000));
    const error = await keelFailure(() => k.chat({ feature: 'f', messages: user('hello '.repeat(1_000_000 / 6)) }));
    expect(error.kind).toBe('budget_exceeded');
    expect(EXACT_COUNT_MAX_TOKENS).toBe(256 * 1024);
    expect(server!.requests).toHaveLength(0);
  });
});
