import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../src/cache/canonical.js';
import { exactCacheKey, semanticScope, type CacheRequest } from '../../src/cache/key.js';
import { createMemoryCacheStore } from '../../src/cache/memory-store.js';
import { SingleFlight } from '../../src/cache/single-flight.js';
import { decodeAnswer, encodeAnswer, whyNotCacheable } from '../../src/cache/entry.js';
import type { ChatResult } from '../../src/pipeline/result.js';
import type { Clock } from '../../src/util/clock.js';

const request: CacheRequest = { messages: [{ role: 'user', content: 'hi' }], models: ['openai/gpt-4o-mini'], maxTokens: 64, temperature: 0, extra: { b: 1, a: [1, { d: 2, c: 3 }] } };
const scope = { tenant: 'acme', feature: 'f' };

describe('cache keys', () => {
  it('canonical JSON ignores key order and undefined fields', () => {
    expect(canonicalJson({ b: 1, a: { d: undefined, c: [1, 'x'] } })).toBe(canonicalJson({ a: { c: [1, 'x'] }, b: 1 }));
    expect(canonicalJson({ a: 1 })).not.toBe(canonicalJson({ a: '1' }));
  });

  it('a key changes with the tenant, the feature, the user, the shape and every request field', () => {
    const base = exactCacheKey(scope, 'keel', request);
    expect(exactCacheKey(scope, 'keel', { ...request, extra: { a: [1, { c: 3, d: 2 }], b: 1 } })).toBe(base);
    const variants = [
      exactCacheKey({ ...scope, tenant: 'globex' }, 'keel', request),
      exactCacheKey({ ...scope, feature: 'g' }, 'keel', request),
      exactCacheKey({ ...scope, user: 'u1' }, 'keel', request),
      exactCacheKey(scope, 'raw-response', request),
      exactCacheKey(scope, 'keel', { ...request, messages: [{ role: 'system', content: 'hi' }] }),
      exactCacheKey(scope, 'keel', { ...request, messages: [{ role: 'user', content: 'hi!' }] }),
      exactCacheKey(scope, 'keel', { ...request, models: ['openai/gpt-4o'] }),
      exactCacheKey(scope, 'keel', { ...request, maxTokens: 65 }),
      exactCacheKey(scope, 'keel', { ...request, temperature: 0.1 }),
      exactCacheKey(scope, 'keel', { ...request, extra: { b: 2, a: [1, { d: 2, c: 3 }] } }),
    ];
    expect(new Set([base, ...variants]).size).toBe(variants.length + 1);
    // No delimiter games: "a" + "bc" is not "ab" + "c".
    expect(exactCacheKey({ tenant: 'a', feature: 'bc' }, 'keel', request)).not.toBe(exactCacheKey({ tenant: 'ab', feature: 'c' }, 'keel', request));
  });

  it('the semantic scope ignores the last user turn only', () => {
    const a = semanticScope(scope, 'keel', request);
    expect(semanticScope(scope, 'keel', { ...request, messages: [{ role: 'user', content: 'hello there' }] })).toEqual(a);
    expect(semanticScope(scope, 'keel', { ...request, maxTokens: 10 })).not.toEqual(a);
    expect(a.tenant).toBe('acme');
  });
});

function manualClock(): Clock & { advance(ms: number): void } {
  let now = 0;
  return { now: () => now, setTimer: () => ({ clear() {} }), sleep: async () => {}, advance: (ms) => void (now += ms) };
}

describe('memory cache store', () => {
  it('expires entries on Keel\'s clock, even one starting at 0', () => {
    const clock = manualClock();
    const store = createMemoryCacheStore({ clock });
    store.set('k', 'v', { ttlMs: 100, bytes: 1 });
    clock.advance(100);
    expect(store.get('k')).toBe('v');
    clock.advance(1);
    expect(store.get('k')).toBeUndefined();
  });

  it('stays within its byte bound, evicting the least recently used', () => {
    const store = createMemoryCacheStore({ maxBytes: 1_000 });
    for (let i = 0; i < 50; i++) store.set(`k${i}`, 'x'.repeat(90), { ttlMs: 60_000, bytes: 90 });
    expect(store.bytes).toBeLessThanOrEqual(1_000);
    expect(store.get('k49')).toBeDefined();
    expect(store.get('k0')).toBeUndefined();
    // Larger than a tenth of the store: not kept rather than flushing everything else.
    store.set('big', 'x'.repeat(200), { ttlMs: 60_000, bytes: 200 });
    expect(store.get('big')).toBeUndefined();
    expect(() => createMemoryCacheStore({ maxBytes: 0 })).toThrow(/maxBytes/);
  });
});

describe('single flight', () => {
  it('followers share the leader\'s value; a settled flight is gone', async () => {
    const flights = new SingleFlight<string>();
    const settle = flights.lead('k');
    const follower = flights.pending('k');
    settle('answer');
    settle('ignored');
    expect(await follower).toBe('answer');
    expect(flights.pending('k')).toBeUndefined();
    expect(flights.size).toBe(0);
  });
});

const result = (over: Partial<ChatResult>): ChatResult => ({
  text: 'ok',
  message: { role: 'assistant', content: 'ok' },
  finishReason: 'stop',
  usage: { inputTokens: 1, outputTokens: 1 },
  provider: 'p',
  model: 'm',
  attempts: [],
  latencyMs: 1,
  ...over,
});

describe('what may be cached', () => {
  it('only complete, non-empty answers with real usage', () => {
    expect(whyNotCacheable(result({}), 'keel')).toBeUndefined();
    expect(whyNotCacheable(result({ finishReason: 'length' }), 'keel')).toBe('finish_length');
    expect(whyNotCacheable(result({ finishReason: 'content_filter' }), 'keel')).toBe('finish_content_filter');
    expect(whyNotCacheable(result({ finishReason: 'budget_exhausted' }), 'keel')).toBe('finish_budget_exhausted');
    expect(whyNotCacheable(result({ finishReason: 'tool_calls' }), 'keel')).toBe('finish_tool_calls');
    expect(whyNotCacheable(result({ text: '  ' }), 'keel')).toBe('empty');
    expect(whyNotCacheable(result({ usageEstimated: true }), 'keel')).toBe('usage_missing');
    expect(whyNotCacheable(result({}), 'raw-response')).toBe('no_raw');
  });

  it('a stored value Keel did not write is no hit', () => {
    const json = encodeAnswer(result({}), 5, undefined);
    expect(decodeAnswer(json, 'keel')).toMatchObject({ text: 'ok', createdAt: 5 });
    for (const foreign of [undefined, 42, '{', 'null', JSON.stringify({ v: 2, text: 'x' }), JSON.stringify({ ...JSON.parse(json), finishReason: 'length' })]) {
      expect(decodeAnswer(foreign, 'keel')).toBeUndefined();
    }
    expect(decodeAnswer(json, 'raw-chunks')).toBeUndefined();
  });
});
