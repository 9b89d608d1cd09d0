/**
 * A breaker under sparse traffic, over the real `openai` client against the testkit server:
 * one call every 3 s never reaches the ratio's minimum volume inside a 10 s window, so only the
 * consecutive-failure threshold can open it. Time is Keel's fake clock; the wire is real.
 */
import OpenAI from 'openai';
import { createOpenAIProvider } from '@keel/openai';
import { createFakeClock, createTestServer, type TestServer } from '@keel/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { createKeel, type KeelEvent } from '@keel/core';
import { failure } from '../pipeline/helpers.js';

let server: TestServer | undefined;
afterEach(async () => server?.close());

describe('breaker under sparse traffic (openai wire)', () => {
  it('15 calls 3 s apart, all failing: opens after 5 consecutive failures and sends nothing more', async () => {
    server = await createTestServer();
    const clock = createFakeClock({ start: Date.now() });
    const events: KeelEvent[] = [];
    const keel = createKeel({
      providers: [createOpenAIProvider({ client: new OpenAI({ apiKey: 'test-key', baseURL: `${server.url}/v1` }) })],
      features: { f: { models: [{ provider: 'openai', model: 'gpt-4o-mini' }], retry: { maxAttempts: 1 } } },
      // Default ratio (0.5 over 10 attempts in 10 s) and consecutiveFailures (5). The half-open
      // wait is opossum's own timer on real time; long enough never to matter here.
      defaults: { breaker: { halfOpenAfterMs: 600_000 } },
      clock,
      onEvent: (e) => events.push(e),
    });
    server.script(Array.from({ length: 15 }, () => ({ type: 'status' as const, status: 500 })));

    const kinds: string[] = [];
    for (let i = 0; i < 15; i++) {
      if (i > 0) clock.advance(3_000);
      kinds.push((await failure(keel.chat({ feature: 'f', messages: [{ role: 'user', content: 'hi' }] }))).kind);
    }
    expect(kinds).toEqual([...Array(5).fill('server'), ...Array(10).fill('circuit_open')]);
    expect(server.requests).toHaveLength(5);
    expect(events.filter((e) => e.type === 'breaker.opened')).toHaveLength(1);
    expect(keel.breaker('openai', 'gpt-4o-mini').state).toBe('open');
    keel.close();
  });

  it('a success in between resets the run: 4 failures, 1 success, 4 failures stay closed', async () => {
    server = await createTestServer();
    const clock = createFakeClock({ start: Date.now() });
    const keel = createKeel({
      providers: [createOpenAIProvider({ client: new OpenAI({ apiKey: 'test-key', baseURL: `${server.url}/v1` }) })],
      features: { f: { models: [{ provider: 'openai', model: 'gpt-4o-mini' }], retry: { maxAttempts: 1 } } },
      defaults: { breaker: { halfOpenAfterMs: 600_000 } },
      clock,
    });
    const fail = { type: 'status' as const, status: 500 };
    server.script([fail, fail, fail, fail, { type: 'ok' }, fail, fail, fail, fail]);
    for (let i = 0; i < 9; i++) {
      clock.advance(3_000);
      await keel.chat({ feature: 'f', messages: [{ role: 'user', content: 'hi' }] }).catch(() => undefined);
    }
    expect(server.requests).toHaveLength(9);
    expect(keel.breaker('openai', 'gpt-4o-mini').state).toBe('closed');
    keel.close();
  });
});
