import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { KeelError, createKeel, type Provider, type ProviderStreamPart } from '../../src/index.js';
import { parentId, setup, spanId, spanText } from './support.js';

const CANARY = 'CANARY-e2e-91b2';

/** A provider whose first call fails with a retryable 503, then answers. */
function flakyProvider(): Provider & { calls: number } {
  const provider = {
    id: 'openai',
    calls: 0,
    async chat() {
      provider.calls++;
      if (provider.calls === 1) throw new KeelError('server', 'upstream 503', { status: 503, provider: 'openai', model: 'gpt-4o-mini' });
      return { text: 'ok', finishReason: 'stop' as const, usage: { inputTokens: 7, outputTokens: 2 }, model: 'gpt-4o-mini-2024-07-18' };
    },
    async *stream(): AsyncGenerator<ProviderStreamPart> {
      provider.calls++;
      if (provider.calls === 1) throw new KeelError('overloaded', 'busy', { status: 529, provider: 'openai', model: 'gpt-4o-mini' });
      yield { type: 'text', text: 'Hel' };
      yield { type: 'text', text: 'lo' };
      yield { type: 'usage', usage: { inputTokens: 7, outputTokens: 2 } };
      yield { type: 'finish', finishReason: 'stop', model: 'gpt-4o-mini-2024-07-18' };
    },
  };
  return provider;
}

function keelWith(provider: Provider, dangerouslyLogPrompts = false) {
  return createKeel({
    providers: [provider],
    features: { summarize: { models: [{ provider: 'openai', model: 'gpt-4o-mini' }], maxTokens: 64, temperature: 0, retry: { baseDelayMs: 0 } } },
    dangerouslyLogPrompts,
  });
}

describe('createKeel end to end', () => {
  it('a call that fails once then succeeds: one call span, two attempt children, the retry as an event', async () => {
    const t = setup();
    const keel = keelWith(flakyProvider());
    t.telemetry.instrument(keel);
    const result = await keel.chat({ feature: 'summarize', messages: [{ role: 'user', content: 'hi' }] });
    keel.close();
    expect(result.text).toBe('ok');

    const call = t.span('chat gpt-4o-mini');
    const [first, second] = [t.span('chat gpt-4o-mini attempt 1'), t.span('chat gpt-4o-mini attempt 2')];
    expect(call.kind).toBe(SpanKind.CLIENT);
    expect(call.status.code).toBe(SpanStatusCode.UNSET);
    expect(call.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-4o-mini',
      'gen_ai.request.max_tokens': 64,
      'gen_ai.request.temperature': 0,
      'gen_ai.response.model': 'gpt-4o-mini-2024-07-18',
      'gen_ai.response.finish_reasons': ['stop'],
      'gen_ai.usage.input_tokens': 7,
      'gen_ai.usage.output_tokens': 2,
      'keel.feature': 'summarize',
      'keel.stream': false,
      'keel.attempts': 2,
      'keel.breaker.state': 'closed',
    });
    expect(call.attributes['keel.prompt.sha256']).toMatch(/^[0-9a-f]{64}$/);
    expect([parentId(first), parentId(second)]).toEqual([spanId(call), spanId(call)]);
    expect(first.status.code).toBe(SpanStatusCode.ERROR);
    expect(first.attributes).toMatchObject({ 'error.type': 'server', 'http.response.status_code': 503 });
    expect(second.attributes['keel.attempt.outcome']).toBe('ok');
    expect(call.events.map((e) => [e.name, e.attributes?.['keel.retry.reason']])).toEqual([['keel.retry', 'backoff']]);
    expect(t.telemetry.openCalls()).toBe(0);

    const attempts = await t.sums('keel.attempts');
    expect(attempts.map((p) => [p.attributes['keel.attempt.outcome'], p.value])).toEqual([
      ['server', 1],
      ['ok', 1],
    ]);
  });

  it('a stream retried before its first token: time to first token on the span and in the histogram', async () => {
    const t = setup();
    const keel = keelWith(flakyProvider());
    t.telemetry.instrument(keel);
    let text = '';
    for await (const part of keel.stream({ feature: 'summarize', messages: [{ role: 'user', content: 'hi' }] })) if (part.type === 'text') text += part.text;
    keel.close();
    expect(text).toBe('Hello');
    const call = t.span('chat gpt-4o-mini');
    expect(call.attributes).toMatchObject({ 'keel.stream': true, 'gen_ai.request.stream': true, 'keel.attempts': 2, 'gen_ai.usage.output_tokens': 2 });
    expect(call.attributes['keel.ttft_ms']).toBeGreaterThanOrEqual(0);
    expect(call.events.map((e) => e.name)).toEqual(['keel.retry', 'keel.first_token']);
    expect(await t.histograms('gen_ai.client.operation.time_to_first_chunk')).toHaveLength(1);
  });

  it('a call that fails for good: the call span is ERROR with the Keel kind', async () => {
    const t = setup();
    const provider: Provider = {
      id: 'openai',
      chat: async () => {
        throw new KeelError('auth', 'bad key', { status: 401 });
      },
      stream: () => ({ [Symbol.asyncIterator]: () => ({ next: async () => ({ done: true as const, value: undefined }) }) }),
    };
    const keel = keelWith(provider);
    t.telemetry.instrument(keel);
    await expect(keel.chat({ feature: 'summarize', messages: [{ role: 'user', content: 'hi' }] })).rejects.toMatchObject({ kind: 'auth' });
    keel.close();
    const call = t.span('chat gpt-4o-mini');
    expect(call.status).toEqual({ code: SpanStatusCode.ERROR, message: 'auth' });
    expect(call.attributes['error.type']).toBe('auth');
  });

  it('dangerouslyLogPrompts alone does not put the prompt in telemetry', async () => {
    const t = setup();
    const keel = keelWith(flakyProvider(), true);
    const unsubscribe = t.telemetry.instrument(keel);
    await keel.chat({ feature: 'summarize', messages: [{ role: 'user', content: `secret ${CANARY}` }], user: `u-${CANARY}` });
    unsubscribe();
    keel.close();
    expect(t.spans().length).toBeGreaterThan(0);
    for (const span of t.spans()) expect(spanText(span)).not.toContain(CANARY);
  });
});

describe('createKeel with a budget, end to end', () => {
  it('puts the cost and the budget left on the call span', async () => {
    const t = setup();
    const keel = createKeel({
      providers: [flakyProvider()],
      features: {
        summarize: {
          models: [{ provider: 'openai', model: 'gpt-4o-mini' }],
          maxTokens: 64,
          retry: { baseDelayMs: 0 },
          budget: { limits: [{ scope: 'feature', unit: 'tokens', limit: 10_000, window: 'day' }] },
        },
      },
      telemetry: t.telemetry,
    });
    const result = await keel.chat({ feature: 'summarize', messages: [{ role: 'user', content: 'hi' }] });
    keel.close();
    const call = t.span('chat gpt-4o-mini');
    expect(result.costUsd).toBeGreaterThan(0);
    expect(call.attributes['keel.cost_usd']).toBeCloseTo(result.costUsd!, 15);
    expect(call.attributes).toMatchObject({ 'keel.budget.remaining': 10_000 - 9, 'keel.budget.scope': 'feature', 'keel.attempts': 2 });
  });
});
