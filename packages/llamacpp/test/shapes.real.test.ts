/**
 * The testkit's llama-server emulator held to the REAL llama-server's shapes: the same requests
 * go to both, and every field the emulator sends must exist on the real server's answer with the
 * same JSON type (the emulator may leave fields out, never invent one). Statuses must match.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLlamaServerEmulator, createTestServer, llamaServerWire, type TestServer } from '@keel/testkit';
import type { LlamaServerProcess } from '../src/index.js';
import { realServerSetup, startRealServer } from './real-server.js';

const setup = realServerSetup();
const HUGE = 'the cat sat on the mat. '.repeat(200);
const chatBody = (content: string, extra: Record<string, unknown> = {}) => ({ model: 'stories260K', messages: [{ role: 'user', content }], max_tokens: 4, temperature: 0, ...extra });

interface Answer {
  readonly status: number;
  readonly body: unknown;
}

async function call(url: string, method: 'GET' | 'POST', path: string, body?: unknown): Promise<Answer> {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  const type = response.headers.get('content-type') ?? '';
  return { status: response.status, body: type.includes('json') ? JSON.parse(text) : text };
}

/** The SSE chunks of a stream, by kind: role, content, finish, usage. */
async function streamChunks(url: string): Promise<Record<string, unknown>> {
  const { body } = await call(url, 'POST', '/v1/chat/completions', chatBody('Once upon a time', { stream: true, stream_options: { include_usage: true } }));
  const chunks = String(body)
    .split('\n')
    .filter((line) => line.startsWith('data: ') && line !== 'data: [DONE]')
    .map((line) => JSON.parse(line.slice(6)) as { choices: { delta?: Record<string, unknown>; finish_reason?: unknown }[] });
  const byKind: Record<string, unknown> = {};
  for (const chunk of chunks) {
    const choice = chunk.choices[0];
    const kind = !choice ? 'usage' : choice.finish_reason ? 'finish' : 'role' in (choice.delta ?? {}) ? 'role' : 'content';
    byKind[kind] ??= chunk;
  }
  return byKind;
}

/** Paths where `emulated` has a field `real` lacks or types it differently. */
function differences(emulated: unknown, real: unknown, path = '$'): string[] {
  const type = (value: unknown) => (value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value);
  if (type(emulated) !== type(real)) return [`${path}: emulator ${type(emulated)}, real ${type(real)}`];
  if (Array.isArray(emulated) && Array.isArray(real)) {
    return emulated.length > 0 && real.length > 0 ? differences(emulated[0], real[0], `${path}[0]`) : [];
  }
  if (type(emulated) !== 'object') return [];
  const realRecord = real as Record<string, unknown>;
  return Object.entries(emulated as Record<string, unknown>).flatMap(([key, value]) =>
    key in realRecord ? differences(value, realRecord[key], `${path}.${key}`) : [`${path}.${key}: not on the real server`],
  );
}

const metricNames = (text: unknown) => [...String(text).matchAll(/^llamacpp:([a-z_]+) /gm)].map((m) => m[1]);

describe.runIf(setup.run)('llama-server emulator vs the real llama-server: same shapes', () => {
  let real: LlamaServerProcess | undefined;
  let emulated: TestServer | undefined;

  beforeAll(async () => {
    real = await startRealServer(setup, { parallel: 2, ctxSize: 1024, embeddings: true, extraArgs: ['--pooling', 'mean'] });
    const emulator = createLlamaServerEmulator({ slots: 2, slotContext: 512 });
    emulated = await createTestServer({
      wires: [llamaServerWire],
      routes: emulator.handle,
      script: (request) =>
        JSON.stringify(request.body).length > HUGE.length ? { type: 'status', status: 400, error: { type: 'exceed_context_size_error' } } : { type: 'ok' },
    });
  }, 120_000);
  afterAll(async () => {
    await emulated?.close();
    await real?.stop();
  });

  const probes: [string, 'GET' | 'POST', string, unknown?][] = [
    ['health', 'GET', '/health'],
    ['props', 'GET', '/props'],
    ['slots', 'GET', '/slots'],
    ['tokenize', 'POST', '/tokenize', { content: 'Once upon a time' }],
    ['input_tokens', 'POST', '/v1/chat/completions/input_tokens', chatBody('Once upon a time')],
    ['chat completion', 'POST', '/v1/chat/completions', chatBody('Once upon a time')],
    ['context overflow', 'POST', '/v1/chat/completions', chatBody(HUGE)],
    ['embeddings', 'POST', '/v1/embeddings', { model: 'default', input: ['a cat', 'a dog'], encoding_format: 'float' }],
  ];

  it.each(probes)('%s', async (_name, method, path, body) => {
    const [fromReal, fromEmulator] = await Promise.all([call(real!.url, method, path, body), call(emulated!.url, method, path, body)]);
    expect(fromEmulator.status).toBe(fromReal.status);
    expect(differences(fromEmulator.body, fromReal.body)).toEqual([]);
  });

  it('stream chunks (role, content, finish, usage + timings)', async () => {
    const [fromReal, fromEmulator] = await Promise.all([streamChunks(real!.url), streamChunks(emulated!.url)]);
    expect(Object.keys(fromEmulator).sort()).toEqual(Object.keys(fromReal).sort());
    expect(differences(fromEmulator, fromReal)).toEqual([]);
  });

  it('metrics: every gauge the emulator reports is a real series', async () => {
    const [fromReal, fromEmulator] = await Promise.all([call(real!.url, 'GET', '/metrics'), call(emulated!.url, 'GET', '/metrics')]);
    expect(fromEmulator.status).toBe(fromReal.status);
    expect(metricNames(fromReal.body)).toEqual(expect.arrayContaining(metricNames(fromEmulator.body)));
    expect(metricNames(fromEmulator.body)).toEqual(['requests_processing', 'requests_deferred']);
  });
});
