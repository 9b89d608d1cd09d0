import { createRequire } from 'node:module';
import type * as Sdk from 'openai';
import OpenAI from 'openai';
import { describe, expect, it, vi } from 'vitest';
import { createTestServer } from '@keel/testkit';
import { KeelError } from '@keel/core';
import { createOpenAIProvider } from '../src/index.js';
import { deriveClient } from '../src/client.js';
import { REQUEST, callContext, collect, failure } from './support.js';

// Keel hands a call's signal to the fetch under the SDK (through `fetchOptions`) instead of to
// the SDK's `{ signal }` option, which composes it with `AbortSignal.any` at a cost per call.
// These hold that nothing the signal did is lost: the user's own fetch still makes every
// request, and aborting still cancels the HTTP request, for clients of either module system.
const require = createRequire(import.meta.url);
const { OpenAI: CommonJsOpenAI } = require('openai') as typeof Sdk;
const builders = {
  esm: (options: ConstructorParameters<typeof OpenAI>[0]) => new OpenAI(options),
  cjs: (options: ConstructorParameters<typeof OpenAI>[0]) => new CommonJsOpenAI(options),
};

describe.each(Object.entries(builders))('the call signal reaches the fetch (%s client)', (_name, build) => {
  it("the user's own fetch makes the request, with a signal and without Keel's key", async () => {
    await using server = await createTestServer({ script: [] });
    const seen: RequestInit[] = [];
    const userFetch: typeof fetch = (url, init) => {
      seen.push(init ?? {});
      return fetch(url, init);
    };
    const provider = createOpenAIProvider({ client: build({ apiKey: 'test-key-link-0000', baseURL: `${server.url}/v1`, fetch: userFetch }) });
    const response = await provider.chat(REQUEST, callContext(new AbortController().signal));
    expect(response.text.length).toBeGreaterThan(0);
    expect(seen).toHaveLength(1);
    expect(seen[0]!.signal).toBeInstanceOf(AbortSignal);
    expect(Object.getOwnPropertySymbols(seen[0]!)).toEqual([]);
  });

  it('aborting the call signal aborts the signal the fetch was given, with Keel’s reason', async () => {
    await using server = await createTestServer({ script: [{ type: 'hang' }] });
    let fetchSignal: AbortSignal | undefined;
    const userFetch: typeof fetch = (url, init) => {
      fetchSignal = init?.signal ?? undefined;
      return fetch(url, init);
    };
    const provider = createOpenAIProvider({ client: build({ apiKey: 'test-key-link-0000', baseURL: `${server.url}/v1`, fetch: userFetch }) });
    const controller = new AbortController();
    const pending = failure(() => provider.chat(REQUEST, callContext(controller.signal)));
    await vi.waitFor(() => expect(server.hits).toBe(1));
    const reason = new KeelError('timeout', 'attempt timed out', { provider: 'openai' });
    controller.abort(reason);
    expect(await pending).toBe(reason);
    expect(fetchSignal?.aborted).toBe(true);
    expect(fetchSignal?.reason).toBe(reason);
    await vi.waitFor(() => expect(server.requests[0]?.aborted).toBe(true));
  });

  it('aborting mid-stream cancels the streamed request', async () => {
    await using server = await createTestServer({ script: [{ type: 'stall-after', chunks: 1 }] });
    const provider = createOpenAIProvider({ client: build({ apiKey: 'test-key-link-0000', baseURL: `${server.url}/v1` }) });
    const controller = new AbortController();
    const parts: unknown[] = [];
    const pending = failure(async () => {
      for await (const part of provider.stream(REQUEST, callContext(controller.signal))) {
        parts.push(part);
        controller.abort();
      }
    });
    expect((await pending).kind).toBe('aborted');
    expect(parts).toHaveLength(1);
    await vi.waitFor(() => expect(server.requests[0]?.aborted).toBe(true));
  });

  it('an already-aborted signal sends nothing', async () => {
    await using server = await createTestServer({ script: [] });
    const provider = createOpenAIProvider({ client: build({ apiKey: 'test-key-link-0000', baseURL: `${server.url}/v1` }) });
    expect((await failure(() => provider.chat(REQUEST, callContext(AbortSignal.abort())))).kind).toBe('aborted');
    expect((await failure(() => collect(provider.stream(REQUEST, callContext(AbortSignal.abort()))))).kind).toBe('aborted');
    expect(server.hits).toBe(0);
  });
});

describe('deriveClient', () => {
  it("keeps the user's client untouched and the copy's retries and timeout off", () => {
    const user = new OpenAI({ apiKey: 'test-key-link-0000', baseURL: 'http://127.0.0.1:1/v1', maxRetries: 5, timeout: 1_000 });
    const { client } = deriveClient(user);
    expect(client).not.toBe(user);
    expect(user.maxRetries).toBe(5);
    expect(client.maxRetries).toBe(0);
    expect(client.timeout).toBe(2_147_483_647);
  });

  it('puts the signal in fetchOptions, never in the SDK’s own signal option', () => {
    const { requestOptions } = deriveClient(new OpenAI({ apiKey: 'test-key-link-0000', baseURL: 'http://127.0.0.1:1/v1' }));
    const options = requestOptions(new AbortController().signal);
    expect(options.signal).toBeUndefined();
    expect(Object.getOwnPropertySymbols(options.fetchOptions ?? {})).toHaveLength(1);
  });
});
