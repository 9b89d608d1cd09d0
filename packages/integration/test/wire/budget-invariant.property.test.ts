/**
 * The budget invariant (docs/budgets.md, "The invariant"), checked from the SERVER's log over
 * random interleavings of chat, stream and both drop-ins, with retries, fallbacks, aborts, early
 * breaks, mid-stream failures, window roll-overs and concurrent calls, through the real `openai`
 * and `@anthropic-ai/sdk` clients against the testkit — with a provider that randomly omits,
 * corrupts or inflates usage and ignores max_tokens. Per budget window:
 *
 *   committed ≥ served                       (Keel never charges less than was served)
 *   served ≤ limit + Σ excess                (excess: output a provider served past the cap
 *                                             Keel granted, having ignored max_tokens)
 *
 * Runs: KEEL_PROPERTY_RUNS (default 10,000), seed: KEEL_PROPERTY_SEED (printed on failure).
 */
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import fc from 'fast-check';
import { createAnthropicProvider, wrapAnthropic } from '@keel/anthropic';
import { createOpenAIProvider, wrapOpenAI } from '@keel/openai';
import { createFakeClock, createTestServer, type Fault, type RecordedRequest, type TestServer, type UsageReport } from '@keel/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { budgetKey, createInMemoryBudgetStore, createKeel, type FeatureConfig, type Keel } from '@keel/core';

const RUNS = Number(process.env['KEEL_PROPERTY_RUNS'] ?? 10_000);
const SEED = process.env['KEEL_PROPERTY_SEED'] === undefined ? undefined : Number(process.env['KEEL_PROPERTY_SEED']);
const MAX_TOKENS = 10;
const MINUTE = 60_000;
/** Words of 4+ letters: Keel's text estimate (3.5 chars a token) is ≥ the server's one token per word. */
const WORDS = ['alpha', 'bravo', 'delta', 'gamma', 'kilo', 'lima', 'oscar', 'tango', 'victor', 'zulu'];

type Entry = 'chat' | 'stream' | 'dropin' | 'dropin-stream';
type Wire = 'openai' | 'anthropic';
type UsageMode = 'honest' | 'omit' | 'null' | 'negative' | 'string' | 'huge' | 'inflate';
type Consumer = 'full' | 'break' | 'abort' | 'aborted-before';

interface Op {
  readonly entry: Entry;
  readonly wire: Wire;
  /** Failures before the reply: retried, then a fallback model. */
  readonly failures: readonly ('status-500' | 'status-503' | 'reset' | 'error-first')[];
  readonly words: number;
  readonly usage: UsageMode;
  readonly ignoreMaxTokens: boolean;
  readonly consumer: Consumer;
  /** Streams: where the consumer stops, or where the provider fails mid-stream. */
  readonly at: number;
  readonly midStreamError: boolean;
  /** Drop-ins: the caller's own max_tokens, which must not beat Keel's cap. */
  readonly callerMaxTokens: number | undefined;
}

interface Batch {
  readonly ops: readonly Op[];
  /** Fake-clock ms before the batch: 0, a little, or past the minute boundary. */
  readonly advance: number;
}

const USAGE: Record<UsageMode, Partial<Extract<Fault, { type: 'ok' }>>> = {
  honest: {},
  omit: { usage: 'omit' },
  null: { usage: null },
  negative: { usage: { outputTokens: -4 } satisfies UsageReport },
  string: { usage: { inputTokens: '12' } satisfies UsageReport },
  huge: { usage: { outputTokens: 1e308 } satisfies UsageReport },
  inflate: { usageScale: 3 },
};

const opArb: fc.Arbitrary<Op> = fc.record({
  entry: fc.constantFrom<Entry>('chat', 'stream', 'dropin', 'dropin-stream'),
  wire: fc.constantFrom<Wire>('openai', 'anthropic'),
  // Mostly none, sometimes a retry, rarely a fallback (two failures exhaust a model's two attempts).
  failures: fc.oneof(
    { weight: 4, arbitrary: fc.constant([]) },
    { weight: 2, arbitrary: fc.array(fc.constantFrom('status-500' as const, 'status-503' as const, 'reset' as const, 'error-first' as const), { minLength: 1, maxLength: 3 }) },
  ),
  words: fc.integer({ min: 1, max: 16 }),
  usage: fc.constantFrom<UsageMode>('honest', 'honest', 'omit', 'null', 'negative', 'string', 'huge', 'inflate'),
  ignoreMaxTokens: fc.boolean(),
  consumer: fc.constantFrom<Consumer>('full', 'full', 'break', 'abort', 'aborted-before'),
  at: fc.integer({ min: 1, max: 8 }),
  midStreamError: fc.boolean(),
  callerMaxTokens: fc.constantFrom(undefined, 5, 50),
});

const batchArb: fc.Arbitrary<Batch> = fc.record({ ops: fc.array(opArb, { minLength: 1, maxLength: 2 }), advance: fc.constantFrom(0, 500, MINUTE) });

const runArb = fc.record({
  limit: fc.integer({ min: 40, max: 300 }),
  // Short sequences keep 10,000 runs affordable (each request costs ~1.5 ms through a real SDK):
  // mostly one batch, sometimes two — enough for a window roll-over between them.
  batches: fc.oneof(
    { weight: 3, arbitrary: fc.tuple(batchArb) },
    { weight: 1, arbitrary: fc.tuple(batchArb, batchArb) },
  ),
});

let server: TestServer;
const clock = createFakeClock({ start: 30 * 86_400_000 + 1_000 });
const budgetStore = createInMemoryBudgetStore({ clock });
/** The faults still to play, per op id (the op id travels in the prompt). */
const scripts = new Map<string, Fault[]>();
let entries: Record<Wire, { keel: Keel; openai?: ReturnType<typeof wrapOpenAI>; anthropic?: ReturnType<typeof wrapAnthropic> }>;

const opIdOf = (request: RecordedRequest): string | undefined => /op-\d+/.exec(JSON.stringify(request.body))?.[0];

beforeAll(async () => {
  server = await createTestServer({
    script: (request) => {
      const id = opIdOf(request);
      return (id && scripts.get(id)?.shift()) || { type: 'ok' };
    },
  });
  const openaiClient = new OpenAI({ apiKey: 'sk-test', baseURL: `${server.url}/v1` });
  const anthropicClient = new Anthropic({ apiKey: 'sk-ant-test', baseURL: server.url });
  const policies = (limit: number): Omit<FeatureConfig, 'models'> => ({
    maxTokens: MAX_TOKENS,
    retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 2 },
    // A high per-user limit here; each run has its own user and checks its own limit (below).
    budget: { limits: [{ scope: 'user', unit: 'tokens', limit, window: 'minute' }] },
  });
  const shared = { clock, budgetStore };
  const defaults = { breaker: { minimumAttempts: 1_000_000 }, retryBudget: { minRetries: 1_000_000 } };
  entries = {
    openai: {
      keel: createKeel({
        providers: [createOpenAIProvider({ client: openaiClient })],
        features: { f: { ...policies(LIMIT), models: [{ provider: 'openai', model: 'gpt-4o-mini' }, { provider: 'openai', model: 'gpt-4.1-mini' }] } },
        defaults,
        ...shared,
      }),
      openai: wrapOpenAI(openaiClient, { feature: 'f', features: { f: { ...policies(LIMIT), fallbackModels: ['gpt-4.1-mini'] } }, defaults, keel: shared }),
    },
    anthropic: {
      keel: createKeel({
        providers: [createAnthropicProvider({ client: anthropicClient })],
        features: { f: { ...policies(LIMIT), models: [{ provider: 'anthropic', model: 'claude-haiku-4-5' }, { provider: 'anthropic', model: 'claude-opus-4-1' }] } },
        defaults,
        ...shared,
      }),
      anthropic: wrapAnthropic(anthropicClient, { feature: 'f', features: { f: { ...policies(LIMIT), fallbackModels: ['claude-opus-4-1'] } }, defaults, keel: shared }),
    },
  };
});

afterAll(async () => {
  if (process.env["KEEL_PROPERTY_STATS"]) console.log(`requests: ${server.requests.length}, ops: ${opCount}, runs: ${runCount}`);
  for (const entry of Object.values(entries ?? {})) {
    entry.keel.close();
    entry.openai?.keel.close();
    entry.anthropic?.keel.close();
  }
  await server?.close();
});

/**
 * Every Keel here shares one store and one limit value; runs differ by user, and each run's
 * limit is applied by giving that user a limit line of its own size — so LIMIT is only the
 * configured ceiling, and `run.limit` is enforced by pre-spending the difference.
 */
const LIMIT = 300;

/** Words in the testkit's default reply, which a stalled stream is cut from. */
const DEFAULT_WORDS = 9;
/** Real-time guard: a consumer waiting on a stall it miscounted would otherwise hang the run. */
const HANG_MS = 10_000;

function faultsFor(op: Op, stream: boolean): Fault[] {
  const before: Fault[] = op.failures.map((failure) => {
    switch (failure) {
      case 'status-500':
        return { type: 'status', status: 500 };
      case 'status-503':
        return { type: 'status', status: 503 };
      case 'reset':
        return { type: 'reset' };
      case 'error-first':
        return { type: 'error-event', afterChunks: 0 };
    }
  });
  const reply: Fault = { type: 'ok', text: Array.from({ length: op.words }, (_, i) => `${WORDS[i % WORDS.length]} `).join(''), ignoreMaxTokens: op.ignoreMaxTokens, ...USAGE[op.usage] };
  if (!stream) return [...before, reply];
  // A consumer that stops early stops while the provider is paused after `at` deltas: what the
  // server served is then exactly what the consumer saw (see docs/budgets.md on early exits).
  if (op.consumer === 'break' || op.consumer === 'abort') return [...before, { type: 'stall-after', chunks: op.at }];
  if (op.midStreamError) return [...before, { type: 'error-event', afterChunks: op.at }];
  return [...before, reply];
}

let opCount = 0;

async function play(op: Op, user: string): Promise<void> {
  const id = `op-${++opCount}`;
  const stream = op.entry === 'stream' || op.entry === 'dropin-stream';
  scripts.set(id, faultsFor(op, stream));
  const messages = [{ role: 'user' as const, content: `${id} go` }];
  const controller = new AbortController();
  if (op.consumer === 'aborted-before') controller.abort();
  const stopAt = op.consumer === 'break' || op.consumer === 'abort' ? op.at : Infinity;
  // How many text deltas the consumer can expect before the provider pauses (a stall must not be waited on).
  const sentMax = op.entry.startsWith('dropin') && op.callerMaxTokens !== undefined ? Math.min(op.callerMaxTokens, MAX_TOKENS) : MAX_TOKENS;
  // An early stop happens on a stalled stream of the default reply, which honours max_tokens.
  const expected = Math.min(stopAt, DEFAULT_WORDS, sentMax);
  const { keel } = entries[op.wire];
  const stop = () => (op.consumer === 'abort' ? controller.abort() : undefined);
  let hung = false;
  const guard = setTimeout(() => {
    hung = true;
    controller.abort();
  }, HANG_MS);
  try {
    switch (op.entry) {
      case 'chat':
        await keel.chat({ feature: 'f', user, messages, signal: controller.signal });
        return;
      case 'stream': {
        let deltas = 0;
        for await (const event of keel.stream({ feature: 'f', user, messages, signal: controller.signal })) {
          if (event.type !== 'text') continue;
          if (++deltas >= expected && stopAt !== Infinity) {
            stop();
            break;
          }
        }
        return;
      }
      case 'dropin':
      case 'dropin-stream':
        await playDropIn(op, user, messages, controller, stopAt, expected, stop);
        return;
    }
  } catch {
    // Failures are part of the game: the invariant is about what was served and charged.
  } finally {
    clearTimeout(guard);
    scripts.delete(id);
  }
  if (hung) throw new Error(`${op.entry} over ${op.wire} did not end within ${HANG_MS} ms of real time`);
}

async function playDropIn(
  op: Op,
  user: string,
  messages: { role: 'user'; content: string }[],
  controller: AbortController,
  stopAt: number,
  expected: number,
  stop: () => void,
): Promise<void> {
  const keelField = { user };
  const signal = controller.signal;
  if (op.wire === 'openai') {
    const openai = entries.openai.openai!;
    const body = { model: 'gpt-4o-mini', messages, keel: keelField, ...(op.callerMaxTokens === undefined ? {} : { max_tokens: op.callerMaxTokens }) };
    if (op.entry === 'dropin') {
      await openai.chat.completions.create(body, { signal });
      return;
    }
    let deltas = 0;
    for await (const chunk of await openai.chat.completions.create({ ...body, stream: true }, { signal })) {
      if (!chunk.choices[0]?.delta.content) continue;
      if (++deltas >= expected && stopAt !== Infinity) {
        stop();
        break;
      }
    }
    return;
  }
  const anthropic = entries.anthropic.anthropic!;
  const body = { model: 'claude-haiku-4-5', messages, keel: keelField, max_tokens: op.callerMaxTokens ?? MAX_TOKENS };
  if (op.entry === 'dropin') {
    await anthropic.messages.create(body, { signal });
    return;
  }
  let deltas = 0;
  for await (const event of await anthropic.messages.create({ ...body, stream: true }, { signal })) {
    if (event.type !== 'content_block_delta') continue;
    if (++deltas >= expected && stopAt !== Infinity) {
      stop();
      break;
    }
  }
}

/** Output a provider served beyond Keel's cap because it ignored max_tokens: the documented excess. */
function excessOf(request: RecordedRequest): number {
  const fault = request.fault;
  const ignored = fault?.type === 'ok' && fault.ignoreMaxTokens === true;
  return ignored ? Math.max(0, request.served.outputTokens - MAX_TOKENS) : 0;
}

let runCount = 0;

describe('budget invariant over the wire (fast-check)', () => {
  it(`committed ≥ served and served ≤ limit + excess, per window, over ${RUNS} random interleavings`, async () => {
    await fc.assert(
      fc.asyncProperty(runArb, async ({ limit, batches }) => {
        const user = `u${++runCount}`;
        const line = { key: budgetKey('user', 'tokens', 'minute', { feature: 'f', user })!, unit: 'tokens' as const, limit: LIMIT, window: 'minute' as const };
        // Shrink this user's room to `limit` by pre-spending the rest of the window.
        let window = Math.floor(clock.now() / MINUTE);
        const preSpend = async () => {
          const r = await budgetStore.reserve({ id: `${user}:pre:${window}`, lines: [{ ...line, scope: 'user', base: LIMIT - limit, perOutputToken: 0 }], minOutputTokens: 0, maxOutputTokens: 0, ttlMs: 1 });
          if (r.ok) await budgetStore.settle(r.id, [LIMIT - limit]);
        };
        await preSpend();
        let served = 0;
        let excess = 0;
        const check = async () => {
          const [usage] = await budgetStore.usage([line]);
          const committed = usage!.committed - (LIMIT - limit);
          expect(usage!.held, 'every hold is settled once its call has returned').toBe(0);
          expect(committed, `window ${window}: committed ≥ served`).toBeGreaterThanOrEqual(served);
          expect(served, `window ${window}: served ≤ limit + excess`).toBeLessThanOrEqual(limit + excess);
        };
        for (const batch of batches) {
          clock.advance(batch.advance);
          const now = Math.floor(clock.now() / MINUTE);
          if (now !== window) {
            // The window rolled: the previous one is final. (Its check ran after its last batch.)
            window = now;
            served = 0;
            excess = 0;
            await preSpend();
          }
          const first = server.requests.length;
          await Promise.all(batch.ops.map((op) => play(op, user)));
          // Let aborted exchanges close, so every served count is final.
          await server.waitFor(() => server.requests.slice(first).every((r) => r.closed));
          for (const request of server.requests.slice(first)) {
            served += request.served.inputTokens + request.served.outputTokens;
            excess += excessOf(request);
          }
          await check();
        }
      }),
      { numRuns: RUNS, ...(SEED === undefined ? {} : { seed: SEED }), endOnFailure: true },
    );
  }, 600_000);
});
