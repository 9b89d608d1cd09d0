import { createRequire } from 'node:module';
import type * as Sdk from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import Anthropic, { APIError } from '@anthropic-ai/sdk';
import { createTestServer, type Fault, type TestServer } from '@keel/testkit';
import { KeelError, type KeelErrorKind, type Provider } from '@keel/core';
import { createAnthropicProvider, mapAnthropicError } from '../src/index.js';
import { REQUEST, callContext, collect, failure, providerFor } from './support.js';

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

// The testkit sends Anthropic's real error body and default type for each status.
const cases: Case[] = [
  { name: '400 invalid_request_error', fault: status(400), kind: 'bad_request', retryable: false, status: 400 },
  {
    name: '400 prompt is too long',
    fault: status(400, { error: { message: 'prompt is too long: 210000 tokens > 200000 maximum' } }),
    kind: 'context_length',
    retryable: false,
    status: 400,
  },
  { name: '401 authentication_error', fault: status(401), kind: 'auth', retryable: false, status: 401 },
  { name: '402 billing_error', fault: status(402), kind: 'rate_limited', retryable: false, status: 402 },
  { name: '403 permission_error', fault: status(403), kind: 'permission', retryable: false, status: 403 },
  { name: '404 not_found_error', fault: status(404), kind: 'not_found', retryable: false, status: 404 },
  { name: '408', fault: status(408), kind: 'timeout', retryable: true, status: 408 },
  { name: '409', fault: status(409), kind: 'server', retryable: true, status: 409 },
  { name: '413 request_too_large', fault: status(413), kind: 'context_length', retryable: false, status: 413 },
  { name: '429 rate_limit_error', fault: status(429), kind: 'rate_limited', retryable: true, status: 429 },
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
  { name: '500 api_error', fault: status(500), kind: 'server', retryable: true, status: 500 },
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
  { name: '504 timeout_error', fault: status(504), kind: 'timeout', retryable: true, status: 504 },
  { name: '529 overloaded_error', fault: status(529), kind: 'overloaded', retryable: true, status: 529 },
  {
    name: '529 x-should-retry: false',
    fault: status(529, { headers: { 'x-should-retry': 'false' } }),
    kind: 'overloaded',
    retryable: false,
  },
  { name: 'error-event (a 529 for JSON, event: error for SSE)', fault: { type: 'error-event' }, kind: 'overloaded', retryable: true },
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
    await server.close();
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
      expect(error.provider).toBe('anthropic');
      expect(error.model).toBe(REQUEST.model);
      if (row.status !== undefined) expect(error.status).toBe(row.status);
      if (row.retryAfterMs !== undefined) expect(error.retryAfterMs).toBe(row.retryAfterMs);
      // The SDK's own retries are off: one fault, one request, whatever its status.
      expect(server.hits - hitsBefore).toBe(1);
    });
  });

  it('a 529 reads as a short message naming status, type and the API message', async () => {
    server.script([status(529)]);
    const error = await failure(() => provider.chat(REQUEST, callContext()));
    expect(error.message).toBe('Anthropic 529 overloaded_error: Overloaded');
  });

  it('a 429 without retry-after waits for the exhausted limit to reset', async () => {
    const reset = new Date(Date.now() + 30_000).toISOString();
    server.script([
      status(429, {
        headers: { 'anthropic-ratelimit-input-tokens-remaining': '0', 'anthropic-ratelimit-input-tokens-reset': reset },
      }),
    ]);
    const error = await failure(() => provider.chat(REQUEST, callContext()));
    expect(error.kind).toBe('rate_limited');
    expect(error.retryAfterMs).toBeGreaterThan(25_000);
    expect(error.retryAfterMs).toBeLessThanOrEqual(30_000);
  });
});

describe('SDK retries are off', () => {
  it('a 529 reaches the server exactly once, although the user client keeps maxRetries 2', async () => {
    await using server = await createTestServer({ script: [status(529)] });
    const error = await failure(() => providerFor(server.url).chat(REQUEST, callContext()));
    expect(error.kind).toBe('overloaded');
    expect(server.hits).toBe(1);
  });

  it('a 429 with retry-after 0, a 500 and a reset each reach the server once', async () => {
    await using server = await createTestServer({
      script: [status(429, { headers: { 'retry-after': '0' } }), status(500), { type: 'reset' }],
    });
    const provider = providerFor(server.url);
    await failure(() => provider.chat(REQUEST, callContext()));
    await failure(() => collect(provider.stream(REQUEST, callContext())));
    await failure(() => provider.chat(REQUEST, callContext()));
    expect(server.hits).toBe(3);
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

  it('aborting a hanging stream request cancels it too', async () => {
    await using server = await createTestServer({ script: [{ type: 'hang' }] });
    const controller = new AbortController();
    const pending = failure(() => collect(providerFor(server.url).stream(REQUEST, callContext(controller.signal))));
    await vi.waitFor(() => expect(server.hits).toBe(1));
    controller.abort();
    expect((await pending).kind).toBe('aborted');
    await vi.waitFor(() => expect(server.requests[0]?.aborted).toBe(true));
  });

  it('rethrows the KeelError that Keel aborted the attempt with (an attempt timeout)', async () => {
    await using server = await createTestServer({ script: [{ type: 'slow-headers', delayMs: 5_000 }] });
    const controller = new AbortController();
    const pending = failure(() => providerFor(server.url).chat(REQUEST, callContext(controller.signal)));
    await vi.waitFor(() => expect(server.hits).toBe(1));
    const reason = new KeelError('timeout', 'attempt timed out after 50ms', { provider: 'anthropic' });
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
  // `require('@anthropic-ai/sdk')` loads the SDK's CommonJS build: a second copy of every error class.
  const require = createRequire(import.meta.url);
  const { Anthropic: CommonJsAnthropic, APIError: CommonJsAPIError } = require('@anthropic-ai/sdk') as typeof Sdk;
  const clients = {
    esm: (url: string) => new Anthropic({ apiKey: 'test-key-esm-000000', baseURL: url }),
    cjs: (url: string) => new CommonJsAnthropic({ apiKey: 'test-key-cjs-000000', baseURL: url }),
  };
  const BODY = { model: 'm', max_tokens: 5, messages: [{ role: 'user' as const, content: 'hi' }] };

  it('control: the CommonJS copy is a different module instance', async () => {
    expect(CommonJsAnthropic).not.toBe(Anthropic);
    await using server = await createTestServer({ script: [status(400)] });
    const thrown: unknown = await clients.cjs(server.url).messages.create(BODY, { maxRetries: 0 }).catch((e: unknown) => e);
    expect(thrown).toBeInstanceOf(CommonJsAPIError);
    expect(thrown).not.toBeInstanceOf(APIError);
  });

  const rows: Case[] = [
    { name: '400', fault: status(400), kind: 'bad_request', retryable: false, status: 400 },
    { name: '401', fault: status(401), kind: 'auth', retryable: false, status: 401 },
    { name: '429 retry-after', fault: status(429, { headers: { 'retry-after': '7' } }), kind: 'rate_limited', retryable: true, status: 429, retryAfterMs: 7000 },
    { name: '429 retry-after-ms', fault: status(429, { headers: { 'retry-after-ms': '120' } }), kind: 'rate_limited', retryable: true, retryAfterMs: 120 },
    { name: '529 overloaded_error', fault: status(529), kind: 'overloaded', retryable: true, status: 529 },
    { name: '500', fault: status(500), kind: 'server', retryable: true, status: 500 },
    { name: '500 x-should-retry: false', fault: status(500, { headers: { 'x-should-retry': 'false' } }), kind: 'server', retryable: false },
    { name: 'connection reset', fault: { type: 'reset' }, kind: 'connection', retryable: true },
  ];

  describe.each(['esm', 'cjs'] as const)('%s client', (system) => {
    it.each(rows)('$name → $kind', async (row) => {
      await using server = await createTestServer({ script: [row.fault, row.fault] });
      const provider = createAnthropicProvider({ client: clients[system](server.url) });
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
      const provider = createAnthropicProvider({ client: clients[system](server.url) });
      const timedOut = new AbortController();
      const pending = failure(() => provider.chat(REQUEST, callContext(timedOut.signal)));
      await vi.waitFor(() => expect(server.hits).toBe(1));
      const reason = new KeelError('timeout', 'attempt timed out after 50ms', { provider: 'anthropic' });
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
      const thrown: unknown = await clients[system](server.url).messages.create(BODY, { timeout: 20, maxRetries: 0 }).catch((e: unknown) => e);
      expect(mapAnthropicError(thrown, { provider: 'anthropic', model: 'm' }).kind).toBe('timeout');
    });
  });
});
