import { SpanKind, SpanStatusCode, context, trace } from '@opentelemetry/api';
import { describe, expect, it, onTestFinished } from 'vitest';
import { T0, calls } from './events.js';
import { TestContextManager, durationMs, ms, parentId, setup, spanId } from './support.js';

const c = calls();

describe('call and attempt spans', () => {
  it('a successful call: a CLIENT span `chat {model}` with GenAI and Keel attributes, one attempt child', () => {
    const t = setup();
    t.emit(
      c.started(0),
      c.attemptStarted(1),
      c.attemptSucceeded(41, 40),
      c.finished(42, { costUsd: 0.0012, budgetRemaining: { scope: 'tenant:acme', remaining: 9000, unit: 'tokens' }, breakerState: 'closed' }),
    );
    const call = t.span('chat gpt-4o-mini');
    const attempt = t.span('chat gpt-4o-mini attempt 1');
    expect(call.kind).toBe(SpanKind.CLIENT);
    expect(call.status.code).toBe(SpanStatusCode.UNSET);
    expect(call.attributes).toEqual({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.system': 'openai',
      'gen_ai.request.model': 'gpt-4o-mini',
      'gen_ai.request.max_tokens': 256,
      'gen_ai.request.temperature': 0.2,
      'gen_ai.request.stream': false,
      'gen_ai.response.model': 'gpt-4o-mini-2024-07-18',
      'gen_ai.response.finish_reasons': ['stop'],
      'gen_ai.usage.input_tokens': 12,
      'gen_ai.usage.output_tokens': 34,
      'keel.feature': 'summarize',
      'keel.call_id': 'c1',
      'keel.stream': false,
      'keel.prompt.sha256': 'ab'.repeat(32),
      'keel.response.provider': 'openai',
      'keel.attempts': 1,
      'keel.cost_usd': 0.0012,
      'keel.budget.remaining': 9000,
      'keel.budget.scope': 'tenant:acme',
      'keel.budget.unit': 'tokens',
      'keel.breaker.state': 'closed',
    });
    // Span times come from the events' clock.
    expect(ms(call.startTime)).toBe(T0);
    expect(durationMs(call)).toBe(42);
    expect(durationMs(attempt)).toBe(40);

    expect(attempt.kind).toBe(SpanKind.INTERNAL);
    expect(parentId(attempt)).toBe(spanId(call));
    expect(attempt.spanContext().traceId).toBe(call.spanContext().traceId);
    expect(attempt.attributes).toEqual({
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-4o-mini',
      'keel.attempt': 1,
      'keel.call_id': 'c1',
      'keel.attempt.outcome': 'ok',
    });
    expect(t.telemetry.openCalls()).toBe(0);
  });

  it('retries then success: a failed attempt span with error.type and status, the wait as a span event', () => {
    const t = setup();
    t.emit(
      c.started(0),
      c.attemptStarted(0, 1),
      c.attemptFailed(10, 10, { kind: 'rate_limited', status: 429 }),
      c.retryScheduled(10, 200, 1),
      c.attemptStarted(210, 2),
      c.attemptSucceeded(250, 40, 2),
      c.finished(250, { attempts: 2 }),
    );
    const call = t.span('chat gpt-4o-mini');
    const first = t.span('chat gpt-4o-mini attempt 1');
    const second = t.span('chat gpt-4o-mini attempt 2');
    expect([parentId(first), parentId(second)]).toEqual([spanId(call), spanId(call)]);
    expect(first.status).toEqual({ code: SpanStatusCode.ERROR, message: 'rate_limited' });
    expect(first.attributes).toMatchObject({ 'error.type': 'rate_limited', 'http.response.status_code': 429, 'keel.attempt.outcome': 'rate_limited' });
    expect(second.status.code).toBe(SpanStatusCode.UNSET);
    expect(second.attributes['keel.attempt.outcome']).toBe('ok');
    // A retried call that succeeded is a success.
    expect(call.status.code).toBe(SpanStatusCode.UNSET);
    expect(call.attributes['error.type']).toBeUndefined();
    expect(call.attributes['keel.attempts']).toBe(2);
    expect(call.events.map((e) => [e.name, e.attributes, ms(e.time) - T0])).toEqual([
      [
        'keel.retry',
        { 'keel.attempt': 1, 'gen_ai.provider.name': 'openai', 'gen_ai.request.model': 'gpt-4o-mini', 'keel.retry.delay_ms': 200, 'keel.retry.reason': 'backoff' },
        10,
      ],
    ]);
  });

  it('a failed call: status ERROR, error.type is the Keel kind, denied retry as an event', () => {
    const t = setup();
    t.emit(
      c.started(0),
      c.attemptStarted(0, 1),
      c.attemptFailed(5, 5, { kind: 'server', status: 500 }),
      c.retryDenied(5, 1, 'retry_budget'),
      c.finished(5, { outcome: 'server', attempts: 1, usage: undefined, finishReason: undefined, model: 'gpt-4o-mini' }),
    );
    const call = t.span('chat gpt-4o-mini');
    expect(call.status).toEqual({ code: SpanStatusCode.ERROR, message: 'server' });
    expect(call.attributes['error.type']).toBe('server');
    expect(call.attributes['gen_ai.usage.input_tokens']).toBeUndefined();
    expect(call.events.map((e) => [e.name, e.attributes?.['keel.retry.reason']])).toEqual([['keel.retry.denied', 'retry_budget']]);
  });

  it('prompt-cache tokens on the span; a reply without usage gets a keel.usage.missing event and no usage attributes', () => {
    const t = setup();
    t.emit(
      c.started(0),
      c.finished(5, { usage: { inputTokens: 1_000, outputTokens: 9, cacheReadTokens: 800, cacheWriteTokens: 150 } }),
    );
    expect(t.span('chat gpt-4o-mini').attributes).toMatchObject({
      'gen_ai.usage.input_tokens': 1_000,
      'gen_ai.usage.cache_read.input_tokens': 800,
      'gen_ai.usage.cache_creation.input_tokens': 150,
    });
    const u = setup();
    u.emit(
      c.started(0),
      { type: 'usage.missing', callId: 'c1', feature: 'summarize', at: T0 + 4, stream: false, provider: 'openai', model: 'gpt-4o-mini', charged: { inputTokens: 40, outputTokens: 20 } },
      c.finished(5, { usage: undefined }),
    );
    const call = u.span('chat gpt-4o-mini');
    expect(call.attributes['gen_ai.usage.input_tokens']).toBeUndefined();
    expect(call.events.map((e) => [e.name, e.attributes?.['keel.usage.charged_output_tokens']])).toEqual([['keel.usage.missing', 20]]);
  });

  it('a stream: time to first token on the span, in ms and in seconds, and as an event', () => {
    const t = setup();
    t.emit(
      c.started(0, { stream: true }),
      c.attemptStarted(0),
      c.attemptSucceeded(120, 120),
      c.firstToken(120, 120),
      c.finished(900, { stream: true, ttftMs: 120 }),
    );
    const call = t.span('chat gpt-4o-mini');
    expect(call.attributes).toMatchObject({
      'gen_ai.request.stream': true,
      'keel.stream': true,
      'keel.ttft_ms': 120,
      'gen_ai.response.time_to_first_chunk': 0.12,
    });
    expect(call.events.map((e) => [e.name, ms(e.time) - T0])).toEqual([['keel.first_token', 120]]);
    expect(durationMs(call)).toBe(900);
  });

  it('a fallback: an event on the call span, attempts on both models, the answering model and provider', () => {
    const t = setup();
    t.emit(
      c.started(0),
      c.attemptStarted(0, 1),
      c.attemptFailed(3, 3, { kind: 'overloaded', status: 529 }),
      c.fallback(3, 'openai/gpt-4o-mini', 'anthropic/claude-haiku'),
      c.attemptStarted(3, 1, 'claude-haiku', 'anthropic'),
      c.attemptSucceeded(50, 47, 1, 'claude-haiku', 'anthropic'),
      c.finished(50, { provider: 'anthropic', model: 'claude-haiku', attempts: 2 }),
    );
    const call = t.span('chat gpt-4o-mini');
    const fallbackAttempt = t.span('chat claude-haiku attempt 1');
    expect(parentId(fallbackAttempt)).toBe(spanId(call));
    expect(fallbackAttempt.attributes['gen_ai.provider.name']).toBe('anthropic');
    expect(call.events.map((e) => [e.name, e.attributes])).toEqual([
      ['keel.fallback', { 'keel.fallback.from': 'openai/gpt-4o-mini', 'keel.fallback.to': 'anthropic/claude-haiku', 'error.type': 'overloaded' }],
    ]);
    // The call is named for what was asked; what answered is on the response attributes.
    expect(call.attributes).toMatchObject({
      'gen_ai.request.model': 'gpt-4o-mini',
      'gen_ai.provider.name': 'openai',
      'gen_ai.response.model': 'claude-haiku',
      'keel.response.provider': 'anthropic',
    });
  });

  it('a recovered stream: a keel.stream.recovered event with both legs, the mode and the text the caller had', () => {
    const t = setup();
    t.emit(c.started(0, { stream: true }), c.firstToken(5, 5), c.recovered(20, 'continue', 16), c.finished(40, { stream: true }));
    const call = t.span('chat gpt-4o-mini');
    expect(call.events.filter((e) => e.name === 'keel.stream.recovered').map((e) => [e.attributes, ms(e.time)])).toEqual([
      [
        {
          'keel.recovery.from': 'anthropic/claude-haiku',
          'keel.recovery.to': 'anthropic/claude-sonnet',
          'keel.recovery.mode': 'continue',
          'error.type': 'connection',
          'keel.recovery.text_chars': 16,
        },
        T0 + 20,
      ],
    ]);
  });

  it('a hedged call: keel.hedge.started when the backup goes, keel.hedge.won with the winner', () => {
    const t = setup();
    t.emit(c.started(0), c.hedgeStarted(500), c.hedgeWon(620, 'backup'), c.finished(620));
    const call = t.span('chat gpt-4o-mini');
    const pair = { 'keel.hedge.primary': 'openai/gpt-4o-mini', 'keel.hedge.backup': 'anthropic/claude-haiku' };
    expect(call.events.map((e) => [e.name, e.attributes, ms(e.time)])).toEqual([
      ['keel.hedge.started', pair, T0 + 500],
      ['keel.hedge.won', { ...pair, 'keel.hedge.winner': 'backup' }, T0 + 620],
    ]);
  });

  it('the call span is a child of the context active where the call was made', () => {
    const t = setup();
    const manager = new TestContextManager();
    context.setGlobalContextManager(manager);
    onTestFinished(() => context.disable());
    const outer = t.tracerProvider.getTracer('app').startSpan('handle request');
    context.with(trace.setSpan(context.active(), outer), () => t.emit(c.started(0)));
    t.emit(c.finished(5));
    outer.end();
    expect(parentId(t.span('chat gpt-4o-mini'))).toBe(spanId(t.span('handle request')));
  });

  it('maps provider ids to gen_ai.provider.name values', () => {
    const t = setup({ providerName: (id) => (id === 'openai' ? 'azure.ai.openai' : id) });
    t.emit(c.started(0), c.attemptStarted(0), c.attemptSucceeded(1, 1), c.finished(1));
    expect(t.span('chat gpt-4o-mini').attributes['gen_ai.provider.name']).toBe('azure.ai.openai');
    expect(t.span('chat gpt-4o-mini attempt 1').attributes['gen_ai.provider.name']).toBe('azure.ai.openai');
  });

  it('contextFor gives the open attempt span, then the call span, then nothing', () => {
    const t = setup();
    t.emit(c.started(0), c.attemptStarted(0));
    const during = trace.getSpan(t.telemetry.contextFor('c1')!);
    t.emit(c.attemptSucceeded(1, 1));
    const between = trace.getSpan(t.telemetry.contextFor('c1')!);
    t.emit(c.finished(1));
    expect(during?.spanContext().spanId).toBe(spanId(t.span('chat gpt-4o-mini attempt 1')));
    expect(between?.spanContext().spanId).toBe(spanId(t.span('chat gpt-4o-mini')));
    expect(t.telemetry.contextFor('c1')).toBeUndefined();
  });

  it('events for calls it never saw start are ignored by the tracer, not thrown', () => {
    const t = setup();
    const other = calls('unknown');
    expect(() =>
      t.emit(other.attemptStarted(0), other.attemptFailed(1, 1), other.retryScheduled(1, 5), other.fallback(1, 'a/b', 'c/d'), other.firstToken(2, 2), other.finished(3)),
    ).not.toThrow();
    expect(t.spans()).toEqual([]);
  });
});
