/**
 * The exact cache end to end through the real `openai` and `@anthropic-ai/sdk` clients against
 * the testkit's loopback server: the server's request log is the judge of what went upstream.
 */
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { createAnthropicProvider, wrapAnthropic } from '@keel/anthropic';
import { createOpenAIProvider, wrapOpenAI } from '@keel/openai';
import { createFakeClock, createTestServer, type Fault, type TestServer } from '@keel/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { createKeel, createMemoryCacheStore, KeelError, type FeatureCacheConfig, type FeatureConfig, type KeelEvent, type StreamEvent } from '@keel/core';
import { z } from 'zod';

let server: TestServer | undefined;
afterEach(async () => server?.close());

type Wire = 'openai' | 'anthropic';
const WIRES: readonly Wire[] = ['openai', 'anthropic'];
const MODEL: Record<Wire, string> = { openai: 'gpt-4o-mini', anthropic: 'claude-3-5-haiku-latest' };

async function setup(wire: Wire, options: { cache?: Partial<FeatureCacheConfig>; feature?: Partial<FeatureConfig>; clock?: ReturnType<typeof createFakeClock> } = {}) {
  server = await createTestServer();
  const provider =
    wire === 'openai'
      ? createOpenAIProvider({ client: new OpenAI({ apiKey: 'sk-cache-test', baseURL: `${server.url}/v1` }) })
      : createAnthropicProvider({ client: new Anthropic({ apiKey: 'sk-ant-cache-test', baseURL: server.url }) });
  const events: KeelEvent[] = [];
  const store = createMemoryCacheStore({ clock: options.clock });
  const keel = createKeel({
    providers: [provider],
    features: {
      f: { models: [{ provider: provider.id, model: MODEL[wire] }], maxTokens: 64, temperature: 0, retry: { maxAttempts: 1 }, cache: { ...options.cache }, ...options.feature },
    },
    defaults: { breaker: { minimumAttempts: 1_000, consecutiveFailures: 1_000 } },
    cache: { store },
    clock: options.clock,
    onEvent: (event) => events.push(event),
  });
  return { server, keel, events, store };
}

const ask = (content: string, extra: Record<string, unknown> = {}) => ({ feature: 'f', tenant: 'acme', messages: [{ role: 'user' as const, content }], ...extra });

describe.each(WIRES)('exact cache over the %s wire', (wire) => {
  it('serves an identical call from the cache: nothing sent, nothing charged, marked cached', async () => {
    const { server, keel, events } = await setup(wire);
    server.script([{ type: 'ok', text: 'Reset it from the account page.' }]);
    const first = await keel.chat(ask('How do I reset my password?'));
    const second = await keel.chat(ask('How do I reset my password?'));
    expect(server.hits).toBe(1);
    expect(first.cached).toBeUndefined();
    expect(second).toMatchObject({ text: 'Reset it from the account page.', cached: true, costUsd: 0, usage: { inputTokens: 0, outputTokens: 0 }, attempts: [] });
    expect(events.filter((e) => e.type === 'cache.hit')).toHaveLength(1);
    expect(events.filter((e) => e.type === 'call.finished').map((e) => e.type === 'call.finished' && e.cached)).toEqual([undefined, true]);
    // Field order does not change the key; any parameter does.
    await keel.chat({ tenant: 'acme', messages: [{ content: 'How do I reset my password?', role: 'user' }], feature: 'f' });
    expect(server.hits).toBe(1);
    await keel.chat(ask('How do I reset my password?', { maxTokens: 32 }));
    expect(server.hits).toBe(2);
    keel.close();
  });

  it('never answers one tenant from another tenant\'s entry, and does not cache a call without a tenant', async () => {
    const { server, keel, events } = await setup(wire);
    await keel.chat(ask('What is our refund policy?'));
    await keel.chat({ ...ask('What is our refund policy?'), tenant: 'globex' });
    expect(server.hits).toBe(2);
    await keel.chat({ feature: 'f', messages: [{ role: 'user', content: 'What is our refund policy?' }] });
    await keel.chat({ feature: 'f', messages: [{ role: 'user', content: 'What is our refund policy?' }] });
    expect(server.hits).toBe(4);
    expect(events.filter((e) => e.type === 'cache.skipped').map((e) => e.type === 'cache.skipped' && e.reason)).toEqual(['no_tenant', 'no_tenant']);
    // Per user when the feature says so.
    const perUser = await setup(wire, { cache: { scope: 'tenant+user' } });
    await perUser.keel.chat(ask('Same question', { user: 'u1' }));
    await perUser.keel.chat(ask('Same question', { user: 'u2' }));
    await perUser.keel.chat(ask('Same question', { user: 'u1' }));
    expect(perUser.server.hits).toBe(2);
    perUser.keel.close();
    keel.close();
  });

  const uncacheable: readonly [string, Fault][] = [
    ['a truncated answer (length)', { type: 'ok', text: 'one two three four five', finishReason: wire === 'openai' ? 'length' : 'max_tokens' }],
    ['an empty answer', { type: 'ok', text: '' }],
    // OpenAI: a filtered answer (`content_filter`); Anthropic: a refusal (`stop_reason: refusal`, a typed error).
    ['a filtered or refused answer', { type: 'ok', text: 'partial', finishReason: wire === 'openai' ? 'content_filter' : 'refusal' }],
    ['an answer without usage', { type: 'ok', usage: 'omit' }],
    ['a server error', { type: 'status', status: 500 }],
    ['a rate limit', { type: 'status', status: 429 }],
  ];
  it.each(uncacheable)('never caches %s', async (_name, fault) => {
    const { server, keel } = await setup(wire);
    server.script([fault, fault]);
    for (let i = 0; i < 2; i++) await keel.chat(ask('Summarise ticket 42')).catch((error: unknown) => expect(KeelError.is(error)).toBe(true));
    expect(server.hits).toBe(2);
    keel.close();
  });

  it('never caches a stream the budget cut short', async () => {
    // The provider ignores max_tokens and keeps talking; Keel's meter stops it when the budget runs out.
    const { server, keel, events } = await setup(wire, { feature: { maxTokens: 5, budget: { limits: [{ scope: 'feature', unit: 'tokens', limit: 60, window: 'day' }] } } });
    const talker: Fault = { type: 'ok', text: 'word '.repeat(200), ignoreMaxTokens: true, usage: 'omit' };
    server.script([talker, talker]);
    const result = await keel.stream(ask('Tell me a long story')).result();
    expect(result.finishReason).toBe('budget_exhausted');
    expect(events.filter((e) => e.type === 'cache.stored').map((e) => e.type === 'cache.stored' && e.reason)).toEqual(['finish_budget_exhausted']);
    // The next identical call is not served the cut answer: it goes to admission (and is refused there).
    await expect(keel.stream(ask('Tell me a long story')).result()).rejects.toMatchObject({ kind: 'budget_exceeded' });
    expect(events.some((e) => e.type === 'cache.hit')).toBe(false);
    keel.close();
  });

  it('never caches structured output (judged after the call), multi-turn, tool or sampled traffic unless opted in', async () => {
    const { server, keel, events } = await setup(wire);
    server.script([{ type: 'ok', text: '{"name":"x"}' }, { type: 'ok', text: '{"name":"x"}' }]);
    for (let i = 0; i < 2; i++) await keel.object({ feature: 'f', tenant: 'acme', messages: [{ role: 'user', content: 'Extract' }], schema: z.object({ name: z.string() }) });
    const conversation = { feature: 'f', tenant: 'acme', messages: [{ role: 'user' as const, content: 'Hi' }, { role: 'assistant' as const, content: 'Hello' }, { role: 'user' as const, content: 'Bye' }] };
    for (let i = 0; i < 2; i++) await keel.chat(conversation);
    for (let i = 0; i < 2; i++) await keel.chat(ask('Weather?', { extra: { tools: [{ type: 'function', function: { name: 'w', parameters: {} } }] } }));
    for (let i = 0; i < 2; i++) await keel.chat(ask('A poem', { temperature: 0.7 }));
    expect(server.hits).toBe(8);
    const reasons = events.filter((e) => e.type === 'cache.skipped').map((e) => e.type === 'cache.skipped' && e.reason);
    expect(new Set(reasons)).toEqual(new Set(['structured', 'multi_turn', 'tools', 'temperature']));
    const optedIn = await setup(wire, { cache: { multiTurn: true, nonZeroTemperature: true } });
    for (let i = 0; i < 2; i++) await optedIn.keel.chat(conversation);
    for (let i = 0; i < 2; i++) await optedIn.keel.chat(ask('A poem', { temperature: 0.7 }));
    expect(optedIn.server.hits).toBe(2);
    optedIn.keel.close();
    keel.close();
  });

  it('1,000 concurrent identical misses make one upstream call', async () => {
    const { server, keel } = await setup(wire);
    const results = await Promise.all(Array.from({ length: 1_000 }, () => keel.chat(ask('Popular question'))));
    expect(server.hits).toBe(1);
    expect(new Set(results.map((r) => r.text)).size).toBe(1);
    expect(results.filter((r) => r.cached).length).toBe(999);
    keel.close();
  });

  it('a failed leader hands its followers no error: they elect a new leader and get its answer', async () => {
    const { server, keel } = await setup(wire);
    server.script([{ type: 'status', status: 500 }]);
    const outcomes = await Promise.allSettled(Array.from({ length: 50 }, () => keel.chat(ask('Flaky question'))));
    expect(outcomes.filter((o) => o.status === 'rejected')).toHaveLength(1);
    expect(server.hits).toBe(2);
    keel.close();
  });

  it('entries expire after ttlMs on Keel\'s clock', async () => {
    const clock = createFakeClock();
    const { server, keel } = await setup(wire, { cache: { ttlMs: 1_000 }, clock });
    await keel.chat(ask('TTL question'));
    clock.advance(999);
    await keel.chat(ask('TTL question'));
    expect(server.hits).toBe(1);
    clock.advance(2);
    await keel.chat(ask('TTL question'));
    expect(server.hits).toBe(2);
    keel.close();
  });

  it('bypass neither reads nor writes; refresh replaces the entry', async () => {
    const { server, keel } = await setup(wire);
    server.script([{ type: 'ok', text: 'old' }, { type: 'ok', text: 'bypassed' }, { type: 'ok', text: 'new' }]);
    await keel.chat(ask('Q'));
    expect((await keel.chat(ask('Q', { cache: { bypass: true } }))).text).toBe('bypassed');
    expect((await keel.chat(ask('Q'))).text).toBe('old');
    expect((await keel.chat(ask('Q', { cache: { refresh: true } }))).text).toBe('new');
    expect((await keel.chat(ask('Q'))).text).toBe('new');
    expect(server.hits).toBe(3);
    await expect(keel.chat(ask('Q', { cache: { minSimilarity: 3 } }))).rejects.toMatchObject({ kind: 'bad_request' });
    keel.close();
  });

  it('a hit costs nothing against the budget', async () => {
    const { server, keel } = await setup(wire, { feature: { budget: { limits: [{ scope: 'feature', unit: 'tokens', limit: 10_000, window: 'day' }] } } });
    const first = await keel.chat(ask('Budgeted question'));
    for (let i = 0; i < 5; i++) expect(await keel.chat(ask('Budgeted question'))).toMatchObject({ cached: true });
    const next = await keel.chat(ask('Another question'));
    expect(server.hits).toBe(2);
    // Between the two misses the budget lost exactly what the server served the second: the hits took nothing.
    const served = server.requests[1]!.served;
    expect(first.budgetRemaining!.remaining - next.budgetRemaining!.remaining).toBe(served.inputTokens + served.outputTokens);
    keel.close();
  });

  it('replays a hit as a stream with the same event shapes, across chat and stream', async () => {
    const { server, keel } = await setup(wire);
    server.script([{ type: 'ok', text: 'Streamed answer here.' }]);
    const live = await collect(keel.stream(ask('Stream me')));
    const replayed = await collect(keel.stream(ask('Stream me')));
    const fromChat = await keel.chat(ask('Stream me'));
    expect(server.hits).toBe(1);
    expect(live.text).toBe('Streamed answer here.');
    expect(replayed.text).toBe(live.text);
    expect(new Set(replayed.types)).toEqual(new Set(['text', 'usage', 'finish']));
    expect(replayed.result).toMatchObject({ cached: true, text: live.text });
    expect(fromChat).toMatchObject({ cached: true, text: live.text });
    keel.close();
  });
});

async function collect(stream: AsyncIterable<StreamEvent>) {
  let text = '';
  const types: string[] = [];
  let result;
  for await (const event of stream) {
    types.push(event.type);
    if (event.type === 'text') text += event.text;
    if (event.type === 'finish') result = event.result;
  }
  return { text, types, result };
}

describe('the drop-ins return their SDK shapes from the cache', () => {
  it('wrapOpenAI: a cached completion and cached chunks equal the live ones', async () => {
    server = await createTestServer();
    const openai = wrapOpenAI(new OpenAI({ apiKey: 'sk-cache-test', baseURL: `${server.url}/v1` }), { feature: 'f', features: { f: { cache: {} } } });
    const body = { model: 'gpt-4o-mini', temperature: 0, messages: [{ role: 'user' as const, content: 'Drop-in question' }], keel: { tenant: 'acme' } };
    const live = await openai.chat.completions.create(body);
    const cached = await openai.chat.completions.create(body);
    expect(cached).toEqual(live);
    const liveChunks = [];
    for await (const chunk of await openai.chat.completions.create({ ...body, stream: true })) liveChunks.push(chunk);
    const cachedChunks = [];
    for await (const chunk of await openai.chat.completions.create({ ...body, stream: true })) cachedChunks.push(chunk);
    expect(cachedChunks).toEqual(liveChunks);
    expect(server.hits).toBe(2);
  });

  it('wrapAnthropic: a cached message and cached events equal the live ones', async () => {
    server = await createTestServer();
    const anthropic = wrapAnthropic(new Anthropic({ apiKey: 'sk-ant-cache-test', baseURL: server.url }), { feature: 'f', features: { f: { cache: {} } } });
    const body = { model: 'claude-3-5-haiku-latest', max_tokens: 64, temperature: 0, messages: [{ role: 'user' as const, content: 'Drop-in question' }], keel: { tenant: 'acme' } };
    const live = await anthropic.messages.create(body);
    const cached = await anthropic.messages.create(body);
    expect(cached).toEqual(live);
    const liveEvents = [];
    for await (const event of await anthropic.messages.create({ ...body, stream: true })) liveEvents.push(event);
    const cachedEvents = [];
    for await (const event of await anthropic.messages.create({ ...body, stream: true })) cachedEvents.push(event);
    expect(cachedEvents).toEqual(liveEvents);
    expect(server.hits).toBe(2);
  });
});
