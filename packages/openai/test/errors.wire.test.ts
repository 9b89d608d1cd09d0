import { createRequire } from 'node:module';
import type * as Sdk from 'openai';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import OpenAI, { APIError } from 'openai';
import { createTestServer, type Fault } from '@keel/testkit';
import { KeelError, type KeelErrorKind, type Provider } from '@keel/core';
import { createOpenAIProvider, mapOpenAIError } from '../src/index.js';
import { REQUEST, callContext, collect, failure, providerFor, userClient } from './support.js';

type TestServer = Awaited<ReturnType<typeof createTestServer>>;

interface Case {
  readonly name: string;
  readonly fault: Fault;
  readonly kind: KeelErrorKind;
  readonly retryable: boolean;
  readonly status?: number;
  readonly retryAfterMs?: number;
}

const status = (code: number, extra: Omit<Extract<Fault, { type: 'status' }>, 'type' | 'status'> = {}): Fault => ({
  type: 'status',
  status: code,
  ...extra,
});

const cases: Case[] = [
  {
    name: '400 context_length_exceeded',
    fault: status(400, { error: { type: 'invalid_request_error', code: 'context_length_exceeded', message: 'too long' } }),
    kind: 'context_length',
    retryable: false,
    status: 400,
  },
  {
    name: '400 content_policy_violation',
    fault: status(400, { error: { code: 'content_policy_violation' } }),
    kind: 'content_filter',
    retryable: false,
  },
  { name: '400', fault: status(400), kind: 'bad_request', retryable: false, status: 400 },
  { name: '401', fault: status(401), kind: 'auth', retryable: false, status: 401 },
  { name: '403', fault: status(403), kind: 'permission', retryable: false, status: 403 },
  { name: '404', fault: status(404), kind: 'not_found', retryable: false, status: 404 },
  { name: '408', fault: status(408), kind: 'timeout', retryable: true, status: 408 },
  { name: '409', fault: status(409), kind: 'server', retryable: true, status: 409 },
  { name: '422', fault: status(422), kind: 'bad_request', retryable: false, status: 422 },
  { name: '429', fault: status(429), kind: 'rate_limited', retryable: true, status: 429 },
  {
    name: '429 retry-after seconds',
    fault: status(429, { headers: { 'retry-after': '3' } }),
    kind: 'rate_limited',
    retryable: true,
    retryAfterMs: 3000,
  },
  {
    name: '429 retry-after-ms',
    fault: status(429, { headers: { 'retry-after-ms': '250', 'retry-after': '3' } }),
    kind: 'rate_limited',
    retryable: true,
    retryAfterMs: 250,
  },
  {
    name: '429 insufficient_quota',
    fault: status(429, { error: { type: 'insufficient_quota', code: 'insufficient_quota' } }),
    kind: 'rate_limited',
    retryable: false,
  },
  { name: '500', fault: status(500), kind: 'server', retryable: true, status: 500 },
  {
    name: '500 x-should-retry: false',
    fault: status(500, { headers: { 'x-should-retry': 'false' } }),
    kind: 'server',
    retryable: false,
  },
  {
    name: '400 x-should-retry: true',
    fault: status(400, { headers: { 'x-should-retry': 'true' } }),
    kind: 'bad_request',
    retryable: true,
  },
  { name: '502 HTML page', fault: status(502, { body: '<html><body>Bad gateway</body></html>' }), kind: 'server', retryable: true, status: 502 },
  { name: '503', fault: status(503), kind: 'overloaded', retryable: true, status: 503 },
  { name: '504', fault: status(504), kind: 'server', retryable: true, status: 504 },
  { name: '529', fault: status(529), kind: 'overloaded', retryable: true, status: 529 },
  { name: 'reset before any byte', fault: { type: 'reset' }, kind: 'connection', retryable: true },
  { name: 'malformed JSON body', fault: { type: 'malformed-json' }, kind: 'server', retryable: true },
  { name: 'body cut mid-way (reset-after)', fault: { type: 'reset-after', chunks: 1 }, kind: 'connection', retryable: true },
];

describe('error mapping through the real client', () => {
  let server: TestServer;
  let provider: Provider;
  beforeAll(async () => {
    server = await createTestServer({ script: [] });
    provider = providerFor(server.url);
  });
  afterAll(async () => {
    await server[Symbol.asyncDispose]();
  });

  describe.each(['chat', 'stream'] as const)('%s', (mode) => {
    it.each(cases)('$name → $kind', async (row) => {
      server.script([row.fault]);
      const hitsBefore = server.hits;
      const error = await failure(() =>
        mode === 'chat' ? provider.chat(REQUEST, callContext()) : collect(provider.stream(REQUEST, callContext())),
      );
      expect(error.kind).toBe(row.kind);
      expect(error.retryable).toBe(row.retryable);
      expect(error.provider).toBe('openai');
      expect(error.model).toBe(REQUEST.model);
      if (row.status !== undefined) expect(error.status).toBe(row.status);
      if (row.retryAfterMs !== undefined) expect(error.retryAfterMs).toBe(row.retryAfterMs);
      // The SDK's own retries are off: one fault, one request, whatever its status.
      expect(server.hits - hitsBefore).toBe(1);
    });
  });
});

describe('SDK retries are off', () => {
  // retry-after-ms: 0 makes the SDK's own retries instant, so the control below stays fast.
  const fiveHundreds: Fault[] = Array.from({ length: 3 }, () => status(500, { headers: { 'retry-after-ms': '0' } }));

  it('control: the user client on its own retries a 500 twice (3 hits)', async () => {
    await using server = await createTestServer({ script: fiveHundreds });
    await expect(userClient(server.url).chat.completions.create({ model: 'm', messages: [] })).rejects.toThrow();
    expect(server.hits).toBe(3);
  });

  it('a 500 reaches the server exactly once through the provider over that same kind of client', async () => {
    await using server = await createTestServer({ script: fiveHundreds });
    const error = await failure(() => providerFor(server.url).chat(REQUEST, callContext()));
    expect(error.kind).toBe('server');
    expect(server.hits).toBe(1);
  });

  it('a 429 with retry-after 0 and a reset each reach the server once', async () => {
    await using server = await createTestServer({
      script: [{ type: 'status', status: 429, headers: { 'retry-after': '0' } }, { type: 'reset' }],
    });
    const provider = providerFor(server.url);
    await failure(() => provider.chat(REQUEST, callContext()));
    await failure(() => collect(provider.stream(REQUEST, callContext())));
    expect(server.hits).toBe(2);
  });
});

describe('abort', () => {
  it('aborting context.signal cancels a hanging request and throws aborted', async () => {
    await using server = await createTestServer({ script: [{ type: 'hang' }] });
    const controller = new AbortController();
    const pending = failure(() => providerFor(server.url).chat(REQUEST, callContext(controller.signal)));
    await vi.waitFor(() => expect(server.hits).toBe(1));
    controller.abort();
    const error = await pending;
    expect(error.kind).toBe('aborted');
    expect(error.retryable).toBe(false);
    await vi.waitFor(() => expect(server.requests[0]?.aborted).toBe(true));
  });

  it('rethrows the KeelError that Keel aborted the attempt with (an attempt timeout)', async () => {
    await using server = await createTestServer({ script: [{ type: 'slow-headers', delayMs: 5_000 }] });
    const controller = new AbortController();
    const pending = failure(() => providerFor(server.url).chat(REQUEST, callContext(controller.signal)));
    await vi.waitFor(() => expect(server.hits).toBe(1));
    const reason = new KeelError('timeout', 'attempt timed out after 50ms', { provider: 'openai' });
    controller.abort(reason);
    expect(await pending).toBe(reason);
    await vi.waitFor(() => expect(server.requests[0]?.aborted).toBe(true));
  });

  it('an already-aborted signal sends nothing', async () => {
    await using server = await createTestServer({ script: [] });
    const error = await failure(() => providerFor(server.url).chat(REQUEST, callContext(AbortSignal.abort())));
    expect(error.kind).toBe('aborted');
    expect(server.hits).toBe(0);
  });
});

describe('clients built from either module system map the same way', () => {
  // `require('openai')` loads the SDK's CommonJS build: a second copy of every error class.
  const require = createRequire(import.meta.url);
  const { OpenAI: CommonJsOpenAI, APIError: CommonJsAPIError } = require('openai') as typeof Sdk;
  const clients = {
    esm: (url: string) => new OpenAI({ apiKey: 'test-key-esm-000000', baseURL: `${url}/v1` }),
    cjs: (url: string) => new CommonJsOpenAI({ apiKey: 'test-key-cjs-000000', baseURL: `${url}/v1` }),
  };

  it('control: the CommonJS copy is a different module instance', async () => {
    expect(CommonJsOpenAI).not.toBe(OpenAI);
    await using server = await createTestServer({ script: [status(400)] });
    const thrown: unknown = await clients.cjs(server.url).chat.completions.create({ model: 'm', messages: [] }, { maxRetries: 0 }).catch((e: unknown) => e);
    expect(thrown).toBeInstanceOf(CommonJsAPIError);
    expect(thrown).not.toBeInstanceOf(APIError);
  });

  const rows: Case[] = [
    { name: '400', fault: status(400), kind: 'bad_request', retryable: false, status: 400 },
    { name: '401', fault: status(401), kind: 'auth', retryable: false, status: 401 },
    { name: '429 retry-after', fault: status(429, { headers: { 'retry-after': '7' } }), kind: 'rate_limited', retryable: true, status: 429, retryAfterMs: 7000 },
    { name: '429 retry-after-ms', fault: status(429, { headers: { 'retry-after-ms': '120' } }), kind: 'rate_limited', retryable: true, retryAfterMs: 120 },
    { name: '400 context_length_exceeded', fault: status(400, { error: { code: 'context_length_exceeded' } }), kind: 'context_length', retryable: false },
    { name: '500', fault: status(500), kind: 'server', retryable: true, status: 500 },
    { name: '500 x-should-retry: false', fault: status(500, { headers: { 'x-should-retry': 'false' } }), kind: 'server', retryable: false },
    { name: 'connection reset', fault: { type: 'reset' }, kind: 'connection', retryable: true },
  ];

  describe.each(['esm', 'cjs'] as const)('%s client', (system) => {
    it.each(rows)('$name → $kind', async (row) => {
      await using server = await createTestServer({ script: [row.fault, row.fault] });
      const provider = createOpenAIProvider({ client: clients[system](server.url) });
      for (const call of [() => provider.chat(REQUEST, callContext()), () => collect(provider.stream(REQUEST, callContext()))]) {
        const error = await failure(call);
        expect(error.kind).toBe(row.kind);
        expect(error.retryable).toBe(row.retryable);
        if (row.status !== undefined) expect(error.status).toBe(row.status);
        expect(error.retryAfterMs).toBe(row.retryAfterMs);
      }
      expect(server.hits).toBe(2);
    });

    it('an attempt timeout is the KeelError Keel aborted with; a caller abort is aborted', async () => {
      await using server = await createTestServer({ script: [{ type: 'hang' }, { type: 'hang' }] });
      const provider = createOpenAIProvider({ client: clients[system](server.url) });
      const timedOut = new AbortController();
      const pending = failure(() => provider.chat(REQUEST, callContext(timedOut.signal)));
      await vi.waitFor(() => expect(server.hits).toBe(1));
      const reason = new KeelError('timeout', 'attempt timed out after 50ms', { provider: 'openai' });
      timedOut.abort(reason);
      expect(await pending).toBe(reason);

      const aborted = new AbortController();
      const pendingStream = failure(() => collect(provider.stream(REQUEST, callContext(aborted.signal))));
      await vi.waitFor(() => expect(server.hits).toBe(2));
      aborted.abort();
      expect((await pendingStream).kind).toBe('aborted');
    });

    it("the SDK's own timeout error maps to timeout", async () => {
      await using server = await createTestServer({ script: [{ type: 'hang' }] });
      // A client timeout the user set on the call path: the SDK throws APIConnectionTimeoutError.
      const client = clients[system](server.url);
      const thrown: unknown = await client.chat.completions.create({ model: 'm', messages: [] }, { timeout: 20, maxRetries: 0 }).catch((e: unknown) => e);
      const error = mapOpenAIError(thrown, { provider: 'openai', model: 'm' });
      expect(error.kind).toBe('timeout');
    });
  });
});
