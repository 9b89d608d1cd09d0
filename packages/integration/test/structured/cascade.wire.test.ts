/**
 * Cascades over the wire: a feature's models are steps cheap → strong, each one pipeline call
 * (with its own retries), judged by the gate. Each gate escalates and says why; a budget that
 * cannot afford the strong model returns the cheap answer marked as such, and sends nothing more.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { Fault, RecordedRequest } from '@keel/testkit';
import type { FeatureConfig } from '@keel/core';
import { CHEAP, STRONG, messages, modelOf, setup, type Wire } from './setup.js';

const person = z.object({ name: z.string(), age: z.number(), note: z.string().optional() });
const GOOD = '{"name": "Ada", "age": 36}';

/** Replies by model: the cheap model's faults in order, the strong model always answers well. */
function byModel(wire: Wire, cheap: readonly Fault[]) {
  const queue = [...cheap];
  return (request: RecordedRequest): Fault => (modelOf(request) === CHEAP[wire] ? (queue.shift() ?? { type: 'ok', text: GOOD }) : { type: 'ok', text: GOOD });
}

const cascadeFeature = (wire: Wire, extra: Partial<FeatureConfig> = {}): Partial<FeatureConfig> => ({
  models: [
    { provider: wire, model: CHEAP[wire] },
    { provider: wire, model: STRONG[wire] },
  ],
  cascade: {},
  ...extra,
});

// Anthropic would run an object schema natively; the testkit then answers with a tool input
// that cannot carry prose. An array schema keeps both wires in prompt mode for the text gates.
const schemaFor = (wire: Wire): z.ZodType<unknown> => (wire === 'anthropic' ? z.array(person).min(1) : person);
const wrapFor = (wire: Wire) => (wire === 'anthropic' ? (doc: string) => `[${doc}]` : (doc: string) => doc);

describe.each(['openai', 'anthropic'] as const)('%s: each gate escalates and says why', (wire: Wire) => {
  const wrap = wrapFor(wire);
  const schema = schemaFor(wire);
  const goodFor = wire === 'anthropic' ? `[${GOOD}]` : GOOD;
  const strongFault: Fault = { type: 'ok', text: goodFor };
  const script = (cheap: readonly Fault[]) => {
    const queue = [...cheap];
    return (request: RecordedRequest): Fault => (modelOf(request) === CHEAP[wire] ? (queue.shift() ?? strongFault) : strongFault);
  };

  it.each([
    ['schema', [{ type: 'ok', text: wrap('{"name": 1}') }, { type: 'ok', text: wrap('{"name": 2}') }], 2],
    ['empty', [{ type: 'ok', text: '' }], 1],
    ['refusal', [{ type: 'ok', text: "I'm sorry, but I can't help with that request." }], 1],
    ['truncated', [{ type: 'ok', text: wrap('{"name": "Ada", "age": 36}'), finishReason: wire === 'openai' ? 'length' : 'max_tokens' }], 1],
  ] as const)('gate %s: the strong model answers; the cheap step is reported with the reason', async (reason, cheap, cheapCalls) => {
    await using env = await setup(wire, script(cheap), cascadeFeature(wire));
    const result = await env.keel.object({ feature: 'f', messages, schema });
    expect(result.model).toBe(STRONG[wire]);
    expect(result.budgetLimited).toBe(false);
    expect(result.steps).toEqual([
      expect.objectContaining({ model: CHEAP[wire], outcome: 'escalated', reason, calls: cheapCalls, costUsd: expect.any(Number) }),
      expect.objectContaining({ model: STRONG[wire], outcome: 'accepted', calls: 1, costUsd: expect.any(Number) }),
    ]);
    expect(env.server.requests.map(modelOf)).toEqual([...Array<string>(cheapCalls).fill(CHEAP[wire]), STRONG[wire]]);
    expect(result.costUsd).toBeCloseTo(result.steps.reduce((sum, step) => sum + (step.costUsd ?? 0), 0), 12);
  });

  it('gate empty: a schema-valid value of only empty fields escalates too', async () => {
    // A schema-valid answer whose every field is empty.
    const loose: z.ZodType<unknown> = wire === 'anthropic' ? z.array(z.object({ name: z.string() })) : z.object({ name: z.string(), note: z.string().optional() });
    const text = wire === 'anthropic' ? '[{"name": ""}]' : '{"name": ""}';
    await using env = await setup(wire, script([{ type: 'ok', text }]), cascadeFeature(wire));
    const result = await env.keel.object({ feature: 'f', messages, schema: loose });
    expect(result.steps[0]).toMatchObject({ outcome: 'escalated', reason: 'empty' });
    expect(result.model).toBe(STRONG[wire]);
  });

  it('user predicate (async): rejected by it, escalated; the predicate sees who answered', async () => {
    await using env = await setup(wire, script([{ type: 'ok', text: wrap('{"name": "Ada", "age": 3}') }]), cascadeFeature(wire));
    const seen: string[] = [];
    const result = await env.keel.object({
      feature: 'f',
      messages,
      schema,
      accept: async (value, answered) => {
        seen.push(answered.model);
        await Promise.resolve();
        const first = Array.isArray(value) ? value[0] : value;
        return (first as { age: number }).age > 18;
      },
    });
    expect(seen).toEqual([CHEAP[wire], STRONG[wire]]);
    expect(result.steps[0]).toMatchObject({ outcome: 'escalated', reason: 'predicate', calls: 1 });
    expect(result.model).toBe(STRONG[wire]);
  });

  it('an error the cheap step could not get past (after its own retries) escalates with its kind', async () => {
    await using env = await setup(wire, script([{ type: 'status', status: 500 }, { type: 'status', status: 500 }]), cascadeFeature(wire, { retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 1 } }));
    const result = await env.keel.object({ feature: 'f', messages, schema });
    expect(result.steps[0]).toMatchObject({ model: CHEAP[wire], outcome: 'escalated', reason: 'error', errorKind: 'server' });
    expect(env.server.requests.map(modelOf)).toEqual([CHEAP[wire], CHEAP[wire], STRONG[wire]]);
  });

  it('a cheap answer that passes the gate is served without touching the strong model', async () => {
    await using env = await setup(wire, script([{ type: 'ok', text: goodFor }]), cascadeFeature(wire));
    const result = await env.keel.object({ feature: 'f', messages, schema });
    expect(result.model).toBe(CHEAP[wire]);
    expect(result.steps).toEqual([expect.objectContaining({ outcome: 'accepted', model: CHEAP[wire] })]);
    expect(env.server.hits).toBe(1);
  });
});

describe('confidence gate (logprobs where the provider returns them)', () => {
  const confident = { cascade: { gate: { minConfidence: 0.8 } } };

  it('openai: a cheap answer below minConfidence escalates with reason confidence; logprobs were asked for', async () => {
    // exp(-1) ≈ 0.37 per token for the cheap model; the strong one's default is exp(-0.01) ≈ 0.99.
    await using env = await setup('openai', byModel('openai', [{ type: 'ok', text: GOOD, logprobs: [-1] }]), cascadeFeature('openai', confident));
    const result = await env.keel.object({ feature: 'f', messages, schema: person });
    expect(result.model).toBe(STRONG.openai);
    expect(result.steps[0]).toMatchObject({ outcome: 'escalated', reason: 'confidence', issues: ['output: confidence 0.368 is under 0.8'] });
    expect(env.server.requests.map((r) => (r.body as { logprobs?: unknown }).logprobs)).toEqual([true, true]);
  });

  it('openai: a confident cheap answer is served', async () => {
    await using env = await setup('openai', byModel('openai', [{ type: 'ok', text: GOOD, logprobs: [-0.05] }]), cascadeFeature('openai', confident));
    const result = await env.keel.object({ feature: 'f', messages, schema: person });
    expect(result.model).toBe(CHEAP.openai);
    expect(env.server.hits).toBe(1);
  });

  it('anthropic returns no logprobs: the check is skipped, nothing extra is sent', async () => {
    await using env = await setup('anthropic', byModel('anthropic', [{ type: 'ok', text: `[${GOOD}]` }]), cascadeFeature('anthropic', confident));
    const result = await env.keel.object({ feature: 'f', messages, schema: schemaFor('anthropic') });
    expect(result.model).toBe(CHEAP.anthropic);
    expect((env.server.requests[0]?.body as { logprobs?: unknown }).logprobs).toBeUndefined();
  });

  it('without minConfidence nothing asks for logprobs', async () => {
    await using env = await setup('openai', byModel('openai', []), cascadeFeature('openai'));
    await env.keel.object({ feature: 'f', messages, schema: person });
    expect((env.server.requests[0]?.body as { logprobs?: unknown }).logprobs).toBeUndefined();
  });
});

describe.each(['openai', 'anthropic'] as const)('%s: budget', (wire: Wire) => {
  // A per-request cap that the cheap model's reserve (input + 100 output tokens) fits and the strong one's does not.
  const budget = { perRequest: { maxUsd: wire === 'openai' ? 0.0005 : 0.0015 } };

  it('cannot afford the strong model: the cheap answer, marked budgetLimited; nothing sent to the strong model', async () => {
    const schema = schemaFor(wire);
    const wrap = wrapFor(wire);
    await using env = await setup(wire, byModel(wire, [{ type: 'ok', text: wrap('{"name": "Ada", "age": 3}') }]), cascadeFeature(wire, { maxTokens: 100, budget }));
    const result = await env.keel.object({ feature: 'f', messages, schema, accept: (value) => ((Array.isArray(value) ? value[0] : value) as { age: number }).age > 18 });
    expect(result.budgetLimited).toBe(true);
    expect(result.model).toBe(CHEAP[wire]);
    expect(result.value).toEqual(wire === 'anthropic' ? [{ name: 'Ada', age: 3 }] : { name: 'Ada', age: 3 });
    expect(result.steps).toEqual([
      expect.objectContaining({ model: CHEAP[wire], outcome: 'escalated', reason: 'predicate' }),
      expect.objectContaining({ model: STRONG[wire], outcome: 'budget', calls: 0 }),
    ]);
    expect(env.server.requests.map(modelOf)).toEqual([CHEAP[wire]]);
  });

  it('cannot afford it and the cheap answer is not even schema-valid: the validation error, nothing more sent', async () => {
    const wrap = wrapFor(wire);
    await using env = await setup(wire, byModel(wire, [{ type: 'ok', text: wrap('{"name": 1}') }, { type: 'ok', text: wrap('{"name": 2}') }]), cascadeFeature(wire, { maxTokens: 100, budget }));
    const error = await env.keel.object({ feature: 'f', messages, schema: schemaFor(wire) }).catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: 'validation', budget: expect.objectContaining({ scope: expect.any(String) }) });
    expect(env.server.requests.map(modelOf)).toEqual([CHEAP[wire], CHEAP[wire]]);
  });
});
