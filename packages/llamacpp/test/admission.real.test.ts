/**
 * Client-side slot admission against a REAL llama-server with 2 slots under 4× overload: Keel
 * sends at most 2 requests at a time, so the server never defers one into its own queue (where
 * no deadline reaches it). Asserted on the server's own gauges (/metrics, sampled throughout)
 * and on counts, never on time.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKeel, KeelError } from '@keel/core';
import { createLlamaCppProvider, type LlamaServerProcess } from '../src/index.js';
import { realServerSetup, startRealServer } from './real-server.js';

const setup = realServerSetup();
const MODEL = 'stories260K';
const SLOTS = 2;
const CALLS = 4 * SLOTS;
const messages = [{ role: 'user' as const, content: 'Tell me a story about a dog.' }];
const context = () => ({ signal: new AbortController().signal, deadline: Date.now() + 60_000, attempt: 1 });

describe.runIf(setup.run)(`slot admission: ${CALLS} calls on ${SLOTS} slots (real server)`, () => {
  let server: LlamaServerProcess | undefined;

  beforeAll(async () => {
    server = await startRealServer(setup, { parallel: SLOTS, ctxSize: 1024 });
  }, 120_000);
  afterAll(async () => server?.stop());

  /** Samples the server's processing / deferred gauges until `done` settles. */
  async function sampleWhile(done: Promise<unknown>) {
    const provider = createLlamaCppProvider({ baseURL: server!.url, admission: false });
    let settled = false;
    void done.finally(() => (settled = true)).catch(() => {});
    const seen = { samples: 0, maxProcessing: 0, maxDeferred: 0, busyDuring: 0 };
    while (!settled) {
      const metrics = await provider.routes.metrics();
      seen.samples += 1;
      seen.maxProcessing = Math.max(seen.maxProcessing, metrics['requests_processing'] ?? 0);
      seen.maxDeferred = Math.max(seen.maxDeferred, metrics['requests_deferred'] ?? 0);
      if ((metrics['requests_processing'] ?? 0) > 0) seen.busyDuring += 1;
    }
    return seen;
  }

  it('through Keel: every call answers, the server holds ≤ 2 at once and defers none', async () => {
    const provider = createLlamaCppProvider({ baseURL: server!.url });
    const keel = createKeel({
      providers: [provider],
      features: { f: { models: [{ provider: 'llamacpp', model: MODEL }], maxTokens: 48, temperature: 0, retry: { maxAttempts: 1 } } },
    });
    // ignore_eos: every call decodes all 48 tokens, so the calls overlap on the server.
    const calls = Promise.all(Array.from({ length: CALLS }, () => keel.chat({ feature: 'f', messages, extra: { ignore_eos: true } })));
    const seen = await sampleWhile(calls);
    const results = await calls;
    keel.close();

    expect(results).toHaveLength(CALLS);
    expect(results.every((r) => r.usage.outputTokens === 48)).toBe(true);
    expect(seen.samples).toBeGreaterThan(0);
    expect(seen.maxProcessing).toBeLessThanOrEqual(SLOTS);
    expect(seen.maxDeferred).toBe(0);
    expect(provider.admissionStats()).toMatchObject({ slots: SLOTS, inFlight: 0, waiting: 0, maxInFlight: SLOTS, shed: 0 });
  });

  it('past maxQueue the rest are shed at once with overloaded (typed), the admitted ones answer', async () => {
    const provider = createLlamaCppProvider({ baseURL: server!.url, admission: { slots: SLOTS, maxQueue: SLOTS } });
    const outcomes = await Promise.allSettled(
      Array.from({ length: CALLS }, () => provider.chat({ model: MODEL, messages, maxTokens: 8, temperature: 0 }, context())),
    );
    const shed = outcomes.filter((o) => o.status === 'rejected').map((o) => (o).reason as unknown);
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(2 * SLOTS);
    expect(shed).toHaveLength(CALLS - 2 * SLOTS);
    expect(shed.every((e) => KeelError.is(e) && e.kind === 'overloaded' && e.retryable)).toBe(true);
    expect(provider.admissionStats()).toMatchObject({ shed: CALLS - 2 * SLOTS, maxInFlight: SLOTS, inFlight: 0 });
  });

  it('a waiter whose deadline passes leaves the queue with the deadline error; the slot count is unchanged', async () => {
    const provider = createLlamaCppProvider({ baseURL: server!.url, admission: { slots: 1 } });
    const first = provider.chat({ model: MODEL, messages, maxTokens: 8, temperature: 0 }, context());
    const controller = new AbortController();
    const deadline = new KeelError('timeout', 'deadline');
    const waiting = provider.chat({ model: MODEL, messages, maxTokens: 8 }, { signal: controller.signal, deadline: Date.now() + 60_000, attempt: 1 });
    expect(provider.admissionStats()).toMatchObject({ inFlight: 1, waiting: 1 });
    controller.abort(deadline);
    await expect(waiting).rejects.toBe(deadline);
    expect(provider.admissionStats()).toMatchObject({ inFlight: 1, waiting: 0 });
    await first;
    expect(provider.admissionStats()).toMatchObject({ inFlight: 0, waiting: 0, maxInFlight: 1 });
  });
});
