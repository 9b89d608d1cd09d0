import type { KeelEvent } from '../../src/index.js';

/** Synthetic event sequences on a fixed epoch, one call (`c1`, feature `summarize`) at a time. */
export const T0 = 1_700_000_000_000;

type Of<T extends KeelEvent['type']> = Extract<KeelEvent, { type: T }>;
type Without<E> = Omit<E, 'type' | 'callId' | 'feature' | 'at'>;

const base = (callId: string, dt: number) => ({ callId, feature: 'summarize', at: T0 + dt });

export function calls(callId = 'c1') {
  return {
    started: (dt = 0, over: Partial<Without<Of<'call.started'>>> = {}): Of<'call.started'> => ({
      type: 'call.started',
      ...base(callId, dt),
      stream: false,
      provider: 'openai',
      model: 'gpt-4o-mini',
      maxTokens: 256,
      temperature: 0.2,
      promptHash: 'ab'.repeat(32),
      ...over,
    }),
    attemptStarted: (dt: number, attempt = 1, model = 'gpt-4o-mini', provider = 'openai'): Of<'attempt.started'> => ({
      type: 'attempt.started',
      ...base(callId, dt),
      provider,
      model,
      attempt,
    }),
    attemptSucceeded: (dt: number, durationMs: number, attempt = 1, model = 'gpt-4o-mini', provider = 'openai'): Of<'attempt.succeeded'> => ({
      type: 'attempt.succeeded',
      ...base(callId, dt),
      provider,
      model,
      attempt,
      durationMs,
    }),
    attemptFailed: (dt: number, durationMs: number, over: Partial<Without<Of<'attempt.failed'>>> = {}): Of<'attempt.failed'> => ({
      type: 'attempt.failed',
      ...base(callId, dt),
      provider: 'openai',
      model: 'gpt-4o-mini',
      attempt: 1,
      kind: 'server',
      status: 503,
      durationMs,
      ...over,
    }),
    retryScheduled: (dt: number, delayMs: number, attempt = 1): Of<'retry.scheduled'> => ({
      type: 'retry.scheduled',
      ...base(callId, dt),
      provider: 'openai',
      model: 'gpt-4o-mini',
      attempt,
      delayMs,
      reason: 'backoff',
    }),
    retryDenied: (dt: number, attempt: number, reason: Of<'retry.denied'>['reason']): Of<'retry.denied'> => ({
      type: 'retry.denied',
      ...base(callId, dt),
      provider: 'openai',
      model: 'gpt-4o-mini',
      attempt,
      reason,
    }),
    fallback: (dt: number, from: string, to: string): Of<'fallback'> => ({ type: 'fallback', ...base(callId, dt), from, to, kind: 'overloaded' }),
    firstToken: (dt: number, ttftMs: number, model = 'gpt-4o-mini', provider = 'openai'): Of<'stream.first_token'> => ({
      type: 'stream.first_token',
      ...base(callId, dt),
      provider,
      model,
      attempt: 1,
      ttftMs,
    }),
    recovered: (dt: number, mode: 'continue' | 'restart', textChars: number): Of<'stream.recovered'> => ({
      type: 'stream.recovered',
      ...base(callId, dt),
      from: { provider: 'anthropic', model: 'claude-haiku' },
      to: { provider: 'anthropic', model: 'claude-sonnet' },
      mode,
      kind: 'connection',
      textChars,
    }),
    hedgeStarted: (dt: number): Of<'hedge.started'> => ({
      type: 'hedge.started',
      ...base(callId, dt),
      primary: { provider: 'openai', model: 'gpt-4o-mini' },
      backup: { provider: 'anthropic', model: 'claude-haiku' },
    }),
    hedgeWon: (dt: number, winner: 'primary' | 'backup'): Of<'hedge.won'> => ({
      type: 'hedge.won',
      ...base(callId, dt),
      primary: { provider: 'openai', model: 'gpt-4o-mini' },
      backup: { provider: 'anthropic', model: 'claude-haiku' },
      winner,
    }),
    finished: (dt: number, over: Partial<Without<Of<'call.finished'>>> = {}): Of<'call.finished'> => ({
      type: 'call.finished',
      ...base(callId, dt),
      stream: false,
      outcome: 'ok',
      provider: 'openai',
      model: 'gpt-4o-mini-2024-07-18',
      attempts: 1,
      latencyMs: dt,
      usage: { inputTokens: 12, outputTokens: 34 },
      finishReason: 'stop',
      ...over,
    }),
  };
}

export function breaker(type: 'breaker.opened' | 'breaker.half_open' | 'breaker.closed', dt = 0): KeelEvent {
  return { type, provider: 'openai', model: 'gpt-4o-mini', at: T0 + dt };
}
