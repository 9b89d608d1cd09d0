import { describe, expect, it } from 'vitest';
import { breaker, calls } from './events.js';
import { setup } from './support.js';

const c = calls();
const identity = { 'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'openai', 'gen_ai.request.model': 'gpt-4o-mini', 'keel.feature': 'summarize' };

describe('metrics', () => {
  it('operation duration (s) and token usage by gen_ai.token.type, with the conventions’ buckets', async () => {
    const t = setup();
    t.emit(c.started(0), c.attemptStarted(0), c.attemptSucceeded(1500, 1500), c.finished(1500, { latencyMs: 1500 }));
    const [duration] = await t.histograms('gen_ai.client.operation.duration');
    expect(duration?.attributes).toEqual({ ...identity, 'gen_ai.response.model': 'gpt-4o-mini-2024-07-18' });
    expect(duration?.value).toMatchObject({ count: 1, sum: 1.5 });
    expect(duration?.value.buckets.boundaries).toEqual([0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92]);
    expect((await t.metric('gen_ai.client.operation.duration'))?.descriptor.unit).toBe('s');

    const tokens = await t.histograms('gen_ai.client.token.usage');
    expect(tokens.map((p) => [p.attributes['gen_ai.token.type'], p.value.sum])).toEqual([
      ['input', 12],
      ['output', 34],
    ]);
    expect(tokens[0]?.value.buckets.boundaries[0]).toBe(1);
    expect((await t.metric('gen_ai.client.token.usage'))?.descriptor.unit).toBe('{token}');
  });

  it('a failed call records its duration with error.type and no token usage', async () => {
    const t = setup();
    t.emit(c.started(0), c.finished(30, { outcome: 'timeout', usage: undefined, model: undefined, latencyMs: 30 }));
    const [duration] = await t.histograms('gen_ai.client.operation.duration');
    expect(duration?.attributes).toEqual({ ...identity, 'error.type': 'timeout' });
    expect(await t.histograms('gen_ai.client.token.usage')).toEqual([]);
  });

  it('time to first chunk and time per output token for streams, apart from the total duration', async () => {
    const t = setup();
    t.emit(
      c.started(0, { stream: true }),
      c.firstToken(200, 200),
      c.finished(1200, { stream: true, ttftMs: 200, latencyMs: 1200, usage: { inputTokens: 5, outputTokens: 101 } }),
    );
    const [ttft] = await t.histograms('gen_ai.client.operation.time_to_first_chunk');
    expect(ttft?.attributes).toEqual(identity);
    expect(ttft?.value.sum).toBe(0.2);
    const [gap] = await t.histograms('keel.stream.time_per_output_token');
    // (1200 − 200) ms over the 100 tokens after the first.
    expect(gap?.value.sum).toBeCloseTo(0.01, 10);
    const [duration] = await t.histograms('gen_ai.client.operation.duration');
    expect(duration?.value.sum).toBe(1.2);
  });

  it('a non-streamed call records no time to first chunk', async () => {
    const t = setup();
    t.emit(c.started(0), c.finished(10));
    expect(await t.histograms('gen_ai.client.operation.time_to_first_chunk')).toEqual([]);
    expect(await t.histograms('keel.stream.time_per_output_token')).toEqual([]);
  });

  it('cost in USD as a counter', async () => {
    const t = setup();
    t.emit(c.started(0), c.finished(10, { costUsd: 0.25 }));
    const second = calls('c2');
    t.emit(second.started(20), second.finished(30, { costUsd: 0.5 }));
    expect(await t.sums('keel.cost')).toEqual([{ attributes: { ...identity, 'gen_ai.response.model': 'gpt-4o-mini-2024-07-18' }, value: 0.75 }]);
    expect((await t.metric('keel.cost'))?.descriptor.unit).toBe('{USD}');
  });

  it('attempts by outcome, and their durations', async () => {
    const t = setup();
    t.emit(
      c.started(0),
      c.attemptStarted(0, 1),
      c.attemptFailed(10, 10, { kind: 'rate_limited', status: 429 }),
      c.attemptStarted(20, 2),
      c.attemptFailed(30, 10, { kind: 'rate_limited', status: 429, attempt: 2 }),
      c.attemptStarted(40, 3),
      c.attemptSucceeded(90, 50, 3),
      c.finished(90, { attempts: 3 }),
    );
    const base = { 'gen_ai.provider.name': 'openai', 'gen_ai.request.model': 'gpt-4o-mini', 'keel.feature': 'summarize' };
    expect(await t.sums('keel.attempts')).toEqual([
      { attributes: { ...base, 'keel.attempt.outcome': 'rate_limited', 'error.type': 'rate_limited' }, value: 2 },
      { attributes: { ...base, 'keel.attempt.outcome': 'ok' }, value: 1 },
    ]);
    const durations = await t.histograms('keel.attempt.duration');
    expect(durations.map((p) => [p.attributes['keel.attempt.outcome'], p.value.count, p.value.sum])).toEqual([
      ['rate_limited', 2, 0.02],
      ['ok', 1, 0.05],
    ]);
  });

  it('fallbacks and breaker transitions as counters', async () => {
    const t = setup();
    t.emit(c.started(0), c.fallback(5, 'openai/gpt-4o-mini', 'anthropic/claude-haiku'), c.finished(9));
    t.emit(breaker('breaker.opened'), breaker('breaker.half_open', 5000), breaker('breaker.closed', 5100), breaker('breaker.opened', 9000));
    expect(await t.sums('keel.fallbacks')).toEqual([
      {
        attributes: { 'keel.feature': 'summarize', 'keel.fallback.from': 'openai/gpt-4o-mini', 'keel.fallback.to': 'anthropic/claude-haiku', 'error.type': 'overloaded' },
        value: 1,
      },
    ]);
    const transitions = await t.sums('keel.breaker.transitions');
    expect(transitions.map((p) => [p.attributes['keel.breaker.state'], p.value])).toEqual([
      ['open', 2],
      ['half_open', 1],
      ['closed', 1],
    ]);
    expect(transitions[0]?.attributes).toMatchObject({ 'gen_ai.provider.name': 'openai', 'gen_ai.request.model': 'gpt-4o-mini' });
  });

  it('metrics still count a call whose start it never saw', async () => {
    const t = setup();
    t.emit(calls('late').finished(10, { latencyMs: 10, provider: 'anthropic', model: 'claude-haiku' }));
    const [duration] = await t.histograms('gen_ai.client.operation.duration');
    expect(duration?.attributes).toMatchObject({ 'gen_ai.provider.name': 'anthropic', 'gen_ai.request.model': 'claude-haiku' });
  });
});
