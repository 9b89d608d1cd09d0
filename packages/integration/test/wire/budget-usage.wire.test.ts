/**
 * Budgets charged from what the provider served, over the wire with the real SDK clients: the
 * testkit's request log (`served`) is the ground truth, never Keel's own numbers.
 */
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { createAnthropicProvider } from '@keel/anthropic';
import { createOpenAIProvider } from '@keel/openai';
import { createFakeClock, createTestServer, type Fault, type TestServer, type UsageReport } from '@keel/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import {
  budgetKey,
  createInMemoryBudgetStore,
  createKeel,
  isTokenCount,
  type FeatureConfig,
  type KeelEvent,
  type Provider,
} from '@keel/core';

const DAY = 86_400_000;
const messages = [{ role: 'user' as const, content: 'Tell me about foxes.' }];
let server: TestServer | undefined;
afterEach(async () => server?.close());

type Wire = 'openai' | 'anthropic';
const MODELS: Record<Wire, string> = { openai: 'gpt-4o-mini', anthropic: 'claude-haiku-4-5' };

function providerFor(wire: Wire, url: string): Provider {
  return wire === 'openai'
    ? createOpenAIProvider({ client: new OpenAI({ apiKey: 'sk-test', baseURL: `${url}/v1` }) })
    : createAnthropicProvider({ client: new Anthropic({ apiKey: 'sk-ant-test', baseURL: url }) });
}

async function setup(wire: Wire, feature: Partial<FeatureConfig>, options: { start?: number; script?: (clock: ReturnType<typeof createFakeClock>) => (request: unknown) => Fault } = {}) {
  const clock = createFakeClock({ start: options.start ?? 10 * DAY });
  server = await createTestServer(options.script ? { script: options.script(clock) } : {});
  const store = createInMemoryBudgetStore({ clock });
  const events: KeelEvent[] = [];
  const keel = createKeel({
    providers: [providerFor(wire, server.url)],
    features: { f: { models: [{ provider: wire, model: MODELS[wire] }], maxTokens: 20, retry: { maxAttempts: 1 }, ...feature } },
    defaults: { breaker: { minimumAttempts: 1_000 } },
    budgetStore: store,
    clock,
    onEvent: (event) => events.push(event),
  });
  return { server, keel, store, clock, events };
}

const served = (s: TestServer) => s.requests.reduce((sum, r) => sum + r.served.inputTokens + r.served.outputTokens, 0);
const tokenLine = (limit: number, window: 'day' | 'minute' = 'day') => ({ key: budgetKey('feature', 'tokens', window, { feature: 'f' })!, unit: 'tokens' as const, limit, window });

describe.each(['openai', 'anthropic'] as const)('%s: missing or invalid usage', (wire) => {
  const bad: (UsageReport | 'omit' | null)[] = ['omit', null, { inputTokens: -5 }, { outputTokens: '9' }, { outputTokens: 1e308 }, { inputTokens: Number.NaN }];

  it.each(bad.map((usage) => [usage === 'omit' ? 'omitted' : JSON.stringify(usage), usage] as const))(
    'usage %s: commits the hold, never 0, and a budget for 3 calls serves about 3',
    async (_name, usage) => {
      const { server, keel, store, events } = await setup(wire, { budget: { limits: [{ scope: 'feature', unit: 'tokens', limit: 150, window: 'day' }] } }, { script: () => () => ({ type: 'ok', usage }) });
      let answered = 0;
      for (let i = 0; i < 50; i++) {
        try {
          const result = await keel.chat({ feature: 'f', messages });
          answered++;
          // Invalid values never reach the result: Keel's own count, flagged.
          expect(result.usageEstimated).toBe(true);
          expect(isTokenCount(result.usage.inputTokens) && isTokenCount(result.usage.outputTokens)).toBe(true);
        } catch (error) {
          expect(error).toMatchObject({ kind: 'budget_exceeded' });
        }
      }
      const [line] = await store.usage([tokenLine(150)]);
      expect(answered).toBeGreaterThan(0);
      expect(answered).toBeLessThanOrEqual(3);
      expect(line!.committed).toBeGreaterThanOrEqual(served(server));
      expect(served(server)).toBeLessThanOrEqual(150);
      const missing = events.filter((e) => e.type === 'usage.missing');
      expect(missing).toHaveLength(answered);
      expect(missing[0]).toMatchObject({ provider: wire, charged: { outputTokens: 20 } });
      // Telemetry never sees the made-up numbers.
      for (const e of events) if (e.type === 'call.finished') expect(e.usage).toBeUndefined();
      keel.close();
    },
  );

  it('a provider that ignores max_tokens and reports no usage is charged for the text it served', async () => {
    const long = 'alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike november oscar papa '.repeat(3);
    const { server, keel, store } = await setup(wire, { maxTokens: 5, budget: { limits: [{ scope: 'feature', unit: 'tokens', limit: 10_000, window: 'day' }] } }, {
      script: () => () => ({ type: 'ok', text: long, usage: 'omit', ignoreMaxTokens: true }),
    });
    await keel.chat({ feature: 'f', messages });
    expect(server.requests[0]!.served.outputTokens).toBe(48);
    const [line] = await store.usage([tokenLine(10_000)]);
    expect(line!.committed).toBeGreaterThanOrEqual(served(server));
    keel.close();
  });
});

describe('prompt-cache tokens', () => {
  const system = 'x'.repeat(4_000); // 1,000 input tokens by the server's count (plus the user message)

  it('Anthropic: cache reads and writes are part of Usage, priced with the cache multipliers, charged and reported', async () => {
    const { server, keel, store } = await setup('anthropic', { budget: { limits: [{ scope: 'feature', unit: 'usd', limit: 10, window: 'day' }] } }, {
      script: () => () => ({ type: 'ok', cache: { readTokens: 800, writeTokens: 150 } }),
    });
    const result = await keel.chat({ feature: 'f', messages: [{ role: 'system', content: system }, ...messages] });
    const truth = server.requests[0]!.served;
    // Anthropic's input_tokens excludes the cache parts; Keel's inputTokens is all of them.
    expect(result.usage).toEqual({ inputTokens: truth.inputTokens, outputTokens: truth.outputTokens, cacheReadTokens: 800, cacheWriteTokens: 150 });
    // claude-haiku-4-5: $1 input, $0.10 cache read, $1.25 cache write, $5 output per million.
    const expected = ((truth.inputTokens - 950) * 1 + 800 * 0.1 + 150 * 1.25 + truth.outputTokens * 5) / 1e6;
    expect(result.costUsd).toBeCloseTo(expected, 12);
    const [line] = await store.usage([{ ...tokenLine(10), key: budgetKey('feature', 'usd', 'day', { feature: 'f' })!, unit: 'usd' }]);
    expect(line!.committed).toBeCloseTo(expected, 12);
    keel.close();
  });

  it('Anthropic streams read the cache fields from message_start and message_delta', async () => {
    const { keel } = await setup('anthropic', {}, { script: () => () => ({ type: 'ok', cache: { readTokens: 800, writeTokens: 150 } }) });
    const result = await keel.stream({ feature: 'f', messages: [{ role: 'system', content: system }, ...messages] }).result();
    expect(result.usage).toMatchObject({ cacheReadTokens: 800, cacheWriteTokens: 150 });
    expect(result.usage.inputTokens).toBeGreaterThanOrEqual(1_000);
    keel.close();
  });

  it('OpenAI: prompt_tokens already includes cached_tokens; they are priced at the cached rate', async () => {
    const { server, keel } = await setup('openai', {}, { script: () => () => ({ type: 'ok', cache: { readTokens: 800 } }) });
    const result = await keel.chat({ feature: 'f', messages: [{ role: 'system', content: system }, ...messages] });
    const truth = server.requests[0]!.served;
    expect(result.usage).toEqual({ inputTokens: truth.inputTokens, outputTokens: truth.outputTokens, cacheReadTokens: 800 });
    // gpt-4o-mini: $0.15 input, $0.075 cached, $0.60 output per million.
    expect(result.costUsd).toBeCloseTo(((truth.inputTokens - 800) * 0.15 + 800 * 0.075 + truth.outputTokens * 0.6) / 1e6, 12);
    const streamed = await keel.stream({ feature: 'f', messages: [{ role: 'system', content: system }, ...messages] }).result();
    expect(streamed.usage).toMatchObject({ inputTokens: truth.inputTokens, cacheReadTokens: 800 });
    keel.close();
  });
});

describe.each(['openai', 'anthropic'] as const)('%s: a call across a window boundary', (wire) => {
  it.each([
    ['00:00 UTC', 'day', 11 * DAY - 500],
    ['a minute boundary', 'minute', 10 * DAY + 7 * 60_000 - 500],
  ] as const)('settles into the window it settles in across %s, never nowhere', async (_name, window, start) => {
    const { server, keel, store } = await setup(wire, { budget: { limits: [{ scope: 'feature', unit: 'tokens', limit: 1_000, window }] } }, {
      start,
      // The provider takes a second of Keel's time: the call is reserved before the boundary and settles after it.
      script: (clock) => () => {
        clock.advance(1_000);
        return { type: 'ok' };
      },
    });
    await keel.chat({ feature: 'f', messages });
    const [line] = await store.usage([tokenLine(1_000, window)]);
    expect(line).toMatchObject({ committed: served(server), held: 0 });
    expect(line!.committed).toBeGreaterThan(0);
    keel.close();
  });
});

describe.each(['openai', 'anthropic'] as const)('%s: rate limits are not spent by calls that send nothing', (wire) => {
  it('an already-aborted call and calls refused by the budget leave the request limit untouched', async () => {
    const { server, keel } = await setup(wire, {
      rateLimits: [{ scope: 'feature', requestsPerMinute: 2 }],
      // One call holds 56 (input bound 36 + 20 output); the provider reports 5× what it served,
      // so after one call nothing fits.
      budget: { limits: [{ scope: 'user', unit: 'tokens', limit: 65, window: 'day' }] },
    }, { script: () => () => ({ type: 'ok', usageScale: 5 }) });
    const aborted = AbortSignal.abort();
    for (let i = 0; i < 3; i++) await expect(keel.chat({ feature: 'f', messages, signal: aborted })).rejects.toMatchObject({ kind: 'aborted' });
    // Alice's budget has room for one call; the refused ones send nothing.
    await keel.chat({ feature: 'f', messages, user: 'alice' });
    for (let i = 0; i < 3; i++) await expect(keel.chat({ feature: 'f', messages, user: 'alice' })).rejects.toMatchObject({ kind: 'budget_exceeded' });
    // Only one request was sent this minute, so one more fits.
    await expect(keel.chat({ feature: 'f', messages, user: 'bob', deadlineMs: 1_000 })).resolves.toMatchObject({ finishReason: 'stop' });
    expect(server.hits).toBe(2);
    keel.close();
  });
});
