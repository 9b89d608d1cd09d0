/**
 * @keel/llamacpp over the wire against the testkit's llama-server emulator (deterministic: the
 * loading state, errors and timings are scripted). The same behaviours run against the real
 * server in *.real.test.ts; shapes.real.test.ts holds the emulator to the real server's shapes.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createKeel, KeelError } from '@keel/core';
import { callContext, collectParts, createLlamaServerEmulator, createTestServer, llamaServerWire, type LlamaServerEmulatorOptions, type TestServer } from '@keel/testkit';
import { createLlamaCppProvider, type LlamaCppProviderOptions, type LlamaTimings } from '../src/index.js';

const MODEL = 'stories260K';
const messages = [{ role: 'user' as const, content: 'Once upon a time' }];
let server: TestServer | undefined;
afterEach(async () => server?.close());

async function emulated(emulatorOptions: LlamaServerEmulatorOptions = {}, script: Parameters<typeof createTestServer>[0] = {}) {
  const emulator = createLlamaServerEmulator(emulatorOptions);
  server = await createTestServer({ ...script, wires: [llamaServerWire], routes: emulator.handle });
  const provider = (options: Partial<LlamaCppProviderOptions> = {}) => createLlamaCppProvider({ baseURL: server!.url, healthPollMs: 1, ...options });
  return { emulator, server, provider };
}

describe('loading (503 "Loading model")', () => {
  it('the first call waits on /health, then learns the slots from /props, and is sent once', async () => {
    const { server, provider } = await emulated({ slots: 3, loadingHealthChecks: 3 });
    const llama = provider();
    const reply = await llama.chat({ model: MODEL, messages }, callContext());
    expect(reply.text.length).toBeGreaterThan(0);
    expect(server.requests).toHaveLength(1);
    expect(llama.admissionStats()?.slots).toBe(3);
  });

  it('a chat answered 503 "Loading model" waits for /health and is sent again, within one Keel attempt, breaker untouched', async () => {
    // Loading until its third /health check; slots known up front, so the call goes straight to
    // /v1/chat/completions and meets the 503 there.
    const { server, provider } = await emulated({ loadingHealthChecks: 2 });
    const keel = createKeel({
      providers: [provider({ admission: { slots: 1 } })],
      features: { f: { models: [{ provider: 'llamacpp', model: MODEL }], maxTokens: 8 } },
      defaults: { breaker: { consecutiveFailures: 1 } },
    });
    const call = keel.chat({ feature: 'f', messages });
    const result = await call;
    keel.close();
    expect(result.attempts).toEqual([expect.objectContaining({ outcome: 'ok' })]);
    expect(server.requests).toHaveLength(1);
    expect(keel.breaker('llamacpp', MODEL).state).toBe('closed');
  });

  it('a server that is still loading at the deadline: the deadline error, not a breaker trip', async () => {
    const { provider } = await emulated({ loading: true });
    const keel = createKeel({
      providers: [provider({ admission: { slots: 1 } })],
      features: { f: { models: [{ provider: 'llamacpp', model: MODEL }], maxTokens: 8, timeouts: { totalMs: 300, attemptMs: 1_000 } } },
      defaults: { breaker: { consecutiveFailures: 1 } },
    });
    const error = await keel.chat({ feature: 'f', messages }).catch((e: unknown) => e);
    keel.close();
    expect(error).toMatchObject({ kind: 'timeout' });
    expect(keel.breaker('llamacpp', MODEL).state).toBe('closed');
  });
});

describe('errors', () => {
  it('exceed_context_size_error is context_length (not retried), relabelled llama-server', async () => {
    const { server, provider } = await emulated({}, { script: [{ type: 'status', status: 400, error: { type: 'exceed_context_size_error' } }] });
    const keel = createKeel({ providers: [provider({ admission: false })], features: { f: { models: [{ provider: 'llamacpp', model: MODEL }], maxTokens: 8 } } });
    const error = await keel.chat({ feature: 'f', messages }).catch((e: unknown) => e);
    keel.close();
    expect(KeelError.is(error)).toBe(true);
    expect(error).toMatchObject({ kind: 'context_length', status: 400, retryable: false, provider: 'llamacpp' });
    expect((error as KeelError).message).toMatch(/^llama-server 400 exceed_context_size_error/);
    expect(server.requests).toHaveLength(1);
  });

  it('a 503 that is not "Loading model" stays overloaded (retryable)', async () => {
    const { provider } = await emulated({}, { script: [{ type: 'status', status: 503, error: { message: 'no slot available' } }] });
    const error = await provider({ admission: false }).chat({ model: MODEL, messages }, callContext()).catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: 'overloaded', retryable: true, status: 503 });
  });
});

describe('what reaches the wire, what comes back', () => {
  it('outputSchema goes out as json_schema, cache_prompt as configured; timings come back', async () => {
    const { server, provider } = await emulated();
    const timings: LlamaTimings[] = [];
    const llama = provider({ cachePrompt: false, onTimings: (t) => timings.push(t) });
    const schema = { type: 'object', properties: { a: { type: 'string' } }, required: ['a'] };
    const reply = await llama.chat({ model: MODEL, messages, outputSchema: { name: 'a', schema, strict: true } }, callContext());
    const body = server.requests[0]!.body as Record<string, unknown>;
    expect(body['json_schema']).toEqual(schema);
    expect(body['cache_prompt']).toBe(false);
    expect(server.requests[0]!.wire).toBe('llama-server');
    expect(reply.raw).toBeUndefined();
    expect(timings).toHaveLength(1);
    expect(timings[0]!.predictedN).toBe(reply.usage!.outputTokens);
  });

  it('stream: timings from the last chunk; raw chunks only when asked', async () => {
    const { provider } = await emulated();
    const timings: LlamaTimings[] = [];
    const llama = provider({ onTimings: (t) => timings.push(t) });
    const parts = await collectParts(llama.stream({ model: MODEL, messages }, callContext()));
    // No chunk of the SDK's leaves the adapter unasked, on a part of its own or on a text part.
    expect(parts.some((p) => p.type === 'raw' || (p.type === 'text' && p.raw !== undefined))).toBe(false);
    expect(parts.filter((p) => p.type === 'finish')).toHaveLength(1);
    expect(timings).toHaveLength(1);
    const raw = await collectParts(llama.stream({ model: MODEL, messages, includeRaw: true }, callContext()));
    expect(raw.some((p) => p.type === 'raw')).toBe(true);
    expect(raw.filter((p) => p.type === 'text').every((p) => p.raw !== undefined)).toBe(true);
    expect(timings).toHaveLength(2);
  });

  it('countTokens and /tokenize answer from the server; embeddings in order', async () => {
    const { provider } = await emulated({ embeddingDimensions: 8 });
    const llama = provider();
    expect(await llama.countTokens({ model: MODEL, messages })).toBe(Math.ceil('Once upon a time'.length / 4));
    expect(await llama.routes.tokenize('Once upon a time')).toHaveLength(4);
    const vectors = await llama.embedder().embed(['a', 'b']);
    expect(vectors.map((v) => v.length)).toEqual([8, 8]);
    expect(await llama.routes.props()).toMatchObject({ totalSlots: 1, slotContext: 512 });
    expect(await llama.routes.metrics()).toMatchObject({ requests_processing: 0, requests_deferred: 0 });
  });
});
