/**
 * End to end through the real `openai` client: Keel's pipeline + @keel/openai + the testkit's
 * loopback server speaking the OpenAI wire format with scripted faults.
 */
import { inspect } from 'node:util';
import OpenAI from 'openai';
import { createOpenAIProvider } from '@keel/openai';
import { createTestServer, type Fault, type TestServer } from '@keel/testkit';
import { failure } from '../pipeline/helpers.js';
import { afterEach, describe, expect, it } from 'vitest';
import { createKeel, KeelError, type KeelEvent, type FeatureConfig } from '@keel/core';

const CANARY_KEY = 'sk-canary-7f3a9c0d1e2b4a5968776655';
const CANARY_PROMPT = 'CANARY-PROMPT-do-not-leak-0451';

let server: TestServer | undefined;
afterEach(async () => server?.close());

async function setup(feature: Partial<FeatureConfig> = {}) {
  server = await createTestServer();
  // Default maxRetries on purpose: Keel must turn the SDK's retries off.
  const client = new OpenAI({ apiKey: CANARY_KEY, baseURL: `${server.url}/v1` });
  const events: KeelEvent[] = [];
  const keel = createKeel({
    providers: [createOpenAIProvider({ client })],
    features: { f: { models: [{ provider: 'openai', model: 'gpt-4o-mini' }], retry: { baseDelayMs: 1 }, ...feature } },
    defaults: { breaker: { minimumAttempts: 1_000 } },
    onEvent: (e) => events.push(e),
  });
  return { server, keel, events };
}

const messages = [{ role: 'user' as const, content: CANARY_PROMPT }];

describe('pipeline over the real openai client', () => {
  it('honours retry-after-ms, retry-after in seconds and as an HTTP date', async () => {
    const { server, keel } = await setup();
    server.script([
      { type: 'status', status: 429, headers: { 'retry-after-ms': '30' } },
      // Delta-seconds are whole numbers (RFC 9110); `0.02` would be ignored.
      { type: 'status', status: 429, headers: { 'retry-after': '0' } },
    ]);
    const result = await keel.chat({ feature: 'f', messages });
    expect(result.attempts.map((a) => a.waitMs)).toEqual([30, 0, undefined]);
    expect(server.hits).toBe(3);

    server.script([{ type: 'status', status: 503, headers: { 'retry-after': new Date(Date.now() + 3_600_000).toUTCString() } }]);
    await expect(keel.chat({ feature: 'f', messages })).rejects.toMatchObject({ kind: 'rate_limited' });
    keel.close();
  });

  it('obeys x-should-retry both ways', async () => {
    const { server, keel } = await setup();
    server.script([{ type: 'status', status: 500, headers: { 'x-should-retry': 'false' } }]);
    await expect(keel.chat({ feature: 'f', messages })).rejects.toMatchObject({ kind: 'server', retryable: false });
    expect(server.hits).toBe(1);
    server.script([{ type: 'status', status: 400, headers: { 'x-should-retry': 'true', 'retry-after-ms': '1' } }]);
    await expect(keel.chat({ feature: 'f', messages })).resolves.toMatchObject({ attempts: [{ outcome: 'bad_request' }, { outcome: 'ok' }] });
    keel.close();
  });

  it('a retry-after of an hour fails now instead of sleeping past the deadline', async () => {
    const { server, keel } = await setup({ timeouts: { totalMs: 5_000 } });
    server.script([{ type: 'status', status: 429, headers: { 'retry-after': '3600' } }]);
    await expect(keel.chat({ feature: 'f', messages })).rejects.toMatchObject({ kind: 'rate_limited', retryAfterMs: 3_600_000 });
    expect(server.hits).toBe(1);
    keel.close();
  });

  it('a caller abort cancels the in-flight HTTP request', async () => {
    const { server, keel } = await setup();
    server.script([{ type: 'hang' }]);
    const controller = new AbortController();
    const pending = keel.chat({ feature: 'f', messages, signal: controller.signal });
    await server.waitFor(() => server.hits === 1);
    controller.abort();
    await expect(pending).rejects.toMatchObject({ kind: 'aborted' });
    await server.waitFor(() => server.requests[0]!.aborted);
    keel.close();
  });

  it('the total deadline cancels a hung request', async () => {
    const { server, keel } = await setup({ timeouts: { totalMs: 300 } });
    server.script([{ type: 'hang' }]);
    await expect(keel.chat({ feature: 'f', messages })).rejects.toMatchObject({ kind: 'timeout', retryable: false });
    await server.waitFor(() => server.requests[0]!.aborted);
    keel.close();
  });

  it('streams: retried before the first token, typed error with partial text after it', async () => {
    const { server, keel } = await setup();
    server.script([{ type: 'reset' }, { type: 'status', status: 503 }]);
    const result = await keel.stream({ feature: 'f', messages }).result();
    expect(result.text).toBe('The quick brown fox jumps over the lazy dog.');
    expect(result.attempts.map((a) => a.outcome)).toEqual(['connection', 'overloaded', 'ok']);
    expect(result.usage.outputTokens).toBeGreaterThan(0);

    server.script([{ type: 'reset-after', chunks: 2 }]);
    const error = await failure(keel.stream({ feature: 'f', messages }).text());
    expect(KeelError.is(error)).toBe(true);
    expect(error.retryable).toBe(false);
    expect(error.partialText?.length).toBeGreaterThan(0);
    expect('The quick brown fox jumps over the lazy dog.'.startsWith(error.partialText!)).toBe(true);
    keel.close();
  });

  it('a stall trips the idle timeout; a slow first token trips the TTFT timeout', async () => {
    const { server, keel } = await setup({ timeouts: { idleMs: 200, firstTokenMs: 200 }, retry: { maxAttempts: 1 } });
    server.script([{ type: 'stall-after', chunks: 2 }]);
    await expect(keel.stream({ feature: 'f', messages }).text()).rejects.toMatchObject({ kind: 'timeout', message: expect.stringMatching(/idle/) });
    await server.waitFor(() => server.requests[0]!.aborted);
    server.script([{ type: 'slow-first-token', delayMs: 5_000 }]);
    await expect(keel.stream({ feature: 'f', messages }).text()).rejects.toMatchObject({ kind: 'timeout', message: expect.stringMatching(/first token/) });
    await server.waitFor(() => server.requests[1]!.aborted);
    keel.close();
  });

  it('breaking out of a stream aborts the upstream request', async () => {
    const { server, keel } = await setup();
    server.script([{ type: 'stall-after', chunks: 1 }]);
    for await (const event of keel.stream({ feature: 'f', messages })) if (event.type === 'text') break;
    await server.waitFor(() => server.requests[0]!.aborted);
    keel.close();
  });

  it('leaks neither the API key nor the prompt through any error, inspect, stack or event', async () => {
    const { server, keel, events } = await setup({ retry: { maxAttempts: 1 }, timeouts: { idleMs: 200, firstTokenMs: 200, attemptMs: 300 } });
    const faults: Fault[] = [
      { type: 'status', status: 401, error: { message: `Incorrect API key provided: ${CANARY_KEY}` } },
      { type: 'status', status: 400, error: { code: 'context_length_exceeded' } },
      { type: 'status', status: 403 },
      { type: 'status', status: 404 },
      { type: 'status', status: 429 },
      { type: 'status', status: 500 },
      { type: 'status', status: 529 },
      { type: 'reset' },
      { type: 'hang' },
      { type: 'malformed-json' },
    ];
    const streamFaults: Fault[] = [
      { type: 'reset-after', chunks: 1 },
      { type: 'stall-after', chunks: 1 },
      { type: 'malformed-sse', afterChunks: 1 },
      { type: 'error-event', afterChunks: 1 },
      { type: 'no-done' },
    ];
    const errors: unknown[] = [];
    for (const fault of faults) {
      server.script([fault]);
      errors.push(await keel.chat({ feature: 'f', messages }).catch((e: unknown) => e));
    }
    for (const fault of streamFaults) {
      server.script([fault]);
      errors.push(await keel.stream({ feature: 'f', messages }).text().catch((e: unknown) => e));
    }
    expect(errors.every((e) => KeelError.is(e))).toBe(true);
    const kinds = errors.map((e) => (e as KeelError).kind);
    expect(kinds.slice(0, 7)).toEqual(['auth', 'context_length', 'permission', 'not_found', 'rate_limited', 'server', 'overloaded']);
    for (const error of errors as KeelError[]) {
      for (const text of [error.message, JSON.stringify(error), inspect(error, { depth: 10 }), String(error.stack), String(JSON.stringify(error.cause))]) {
        expect(text).not.toContain(CANARY_KEY);
        expect(text).not.toContain('canary-7f3a');
        expect(text).not.toContain(CANARY_PROMPT);
      }
    }
    const eventText = JSON.stringify(events);
    expect(eventText).not.toContain(CANARY_KEY);
    expect(eventText).not.toContain(CANARY_PROMPT);
    keel.close();
  });
});
