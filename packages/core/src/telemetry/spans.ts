import { SpanKind, SpanStatusCode, context as otelContext, trace, type HrTime, type Span, type Tracer } from '@opentelemetry/api';
import { defined, finishAttributes, hrTime, startAttributes, type EventOf, type ProviderNamer } from './attributes.js';
import type { OpenCall } from './call-table.js';
import { modelRefName } from '../models/ref-name.js';
import { ATTR, OPERATION_CHAT, SPAN_EVENT } from './names.js';

type AttemptEvent = EventOf<'attempt.started' | 'attempt.succeeded' | 'attempt.failed' | 'retry.scheduled' | 'retry.denied'>;

/**
 * Starts the CLIENT span of one logical call (`chat {model}`). Its parent is whatever context
 * is active where `keel.chat` / `keel.stream` was called: events are emitted synchronously there.
 */
export function startCall(tracer: Tracer, event: EventOf<'call.started'>, identity: OpenCall['identity'], recordPrompts: boolean): OpenCall | undefined {
  const parent = otelContext.active();
  // The sampler sees the call's identity; the rest (the prompt hash among it) is built only for
  // a span that records: with no SDK, or a span sampled out, nothing else is computed.
  const span = tracer.startSpan(`${OPERATION_CHAT} ${event.model}`, { kind: SpanKind.CLIENT, startTime: hrTime(event.at), attributes: identity }, parent);
  const recording = span.isRecording();
  // No SDK and no trace to carry on (the API's no-op tracer, outside any span): the span is
  // inert, and so would be every attempt span under it. Nothing is kept for the call.
  if (!recording && !trace.isSpanContextValid(span.spanContext())) return undefined;
  if (recording) span.setAttributes(startAttributes(event, identity, recordPrompts));
  return { callId: event.callId, startedAt: event.at, span, context: trace.setSpan(parent, span), identity, attempts: new Map() };
}

/**
 * One child span per attempt. INTERNAL, not CLIENT, and without `gen_ai.operation.name`: the
 * call span is the one GenAI operation (per the conventions it covers every retry), so
 * GenAI-aware backends do not count a retried call twice.
 */
export function startAttempt(tracer: Tracer, call: OpenCall, event: EventOf<'attempt.started'>, name: ProviderNamer): void {
  const key = attemptKey(event);
  const stale = call.attempts.get(key);
  if (stale) endAbandoned(stale, hrTime(event.at));
  const span = tracer.startSpan(`${OPERATION_CHAT} ${event.model} attempt ${event.attempt}`, { kind: SpanKind.INTERNAL, startTime: hrTime(event.at) }, call.context);
  if (span.isRecording()) {
    span.setAttributes({
      [ATTR.providerName]: name(event.provider),
      [ATTR.requestModel]: event.model,
      [ATTR.attempt]: event.attempt,
      [ATTR.callId]: event.callId,
    });
  }
  call.attempts.set(key, span);
}

export function endAttempt(call: OpenCall, event: EventOf<'attempt.succeeded' | 'attempt.failed'>): void {
  const key = attemptKey(event);
  const span = call.attempts.get(key);
  if (!span) return;
  call.attempts.delete(key);
  if (!span.isRecording()) return span.end();
  if (event.type === 'attempt.failed') {
    span.setAttributes(defined({ [ATTR.attemptOutcome]: event.kind, [ATTR.errorType]: event.kind, [ATTR.httpStatus]: event.status }));
    span.setStatus({ code: SpanStatusCode.ERROR, message: event.kind });
  } else {
    span.setAttribute(ATTR.attemptOutcome, 'ok');
  }
  span.end(hrTime(event.at));
}

/** Retry waits, denied retries and fallbacks are moments in the call, not operations: span events. */
export function recordPolicyEvent(call: OpenCall, event: EventOf<'retry.scheduled' | 'retry.denied' | 'fallback'>, name: ProviderNamer): void {
  if (!call.span.isRecording()) return;
  const at = hrTime(event.at);
  switch (event.type) {
    case 'retry.scheduled':
      call.span.addEvent(SPAN_EVENT.retry, { ...attemptRef(event, name), [ATTR.retryDelayMs]: event.delayMs, [ATTR.retryReason]: event.reason }, at);
      return;
    case 'retry.denied':
      call.span.addEvent(SPAN_EVENT.retryDenied, { ...attemptRef(event, name), [ATTR.retryReason]: event.reason }, at);
      return;
    case 'fallback':
      call.span.addEvent(SPAN_EVENT.fallback, { [ATTR.fallbackFrom]: event.from, [ATTR.fallbackTo]: event.to, [ATTR.errorType]: event.kind }, at);
      return;
  }
}

/** Mid-stream recovery and hedging are moments in the call too: span events on the call span. */
export function recordFailoverEvent(call: OpenCall, event: EventOf<'stream.recovered' | 'hedge.started' | 'hedge.won'>): void {
  if (!call.span.isRecording()) return;
  const at = hrTime(event.at);
  switch (event.type) {
    case 'stream.recovered':
      call.span.addEvent(
        SPAN_EVENT.streamRecovered,
        {
          [ATTR.recoveryFrom]: modelRefName(event.from),
          [ATTR.recoveryTo]: modelRefName(event.to),
          [ATTR.recoveryMode]: event.mode,
          [ATTR.errorType]: event.kind,
          [ATTR.recoveryTextChars]: event.textChars,
        },
        at,
      );
      return;
    case 'hedge.started':
      call.span.addEvent(SPAN_EVENT.hedgeStarted, { [ATTR.hedgePrimary]: modelRefName(event.primary), [ATTR.hedgeBackup]: modelRefName(event.backup) }, at);
      return;
    case 'hedge.won':
      call.span.addEvent(
        SPAN_EVENT.hedgeWon,
        { [ATTR.hedgePrimary]: modelRefName(event.primary), [ATTR.hedgeBackup]: modelRefName(event.backup), [ATTR.hedgeWinner]: event.winner },
        at,
      );
      return;
  }
}

export function recordFirstToken(call: OpenCall, event: EventOf<'stream.first_token'>): void {
  if (!call.span.isRecording()) return;
  call.span.setAttributes({ [ATTR.ttftMs]: event.ttftMs, [ATTR.responseTimeToFirstChunk]: event.ttftMs / 1000 });
  call.span.addEvent(SPAN_EVENT.firstToken, { [ATTR.attempt]: event.attempt, [ATTR.requestModel]: event.model }, hrTime(event.at));
}

/** The provider answered without usable usage: a span event saying what Keel charged instead. */
export function recordMissingUsage(call: OpenCall, event: EventOf<'usage.missing'>): void {
  if (!call.span.isRecording()) return;
  call.span.addEvent(SPAN_EVENT.usageMissing, defined({ [ATTR.usageMissingChargedOutput]: event.charged?.outputTokens }), hrTime(event.at));
}

/** Cache decisions are moments in the call: span events (a miss is the absence of a hit). */
export function recordCacheEvent(call: OpenCall, event: EventOf<'cache.hit' | 'cache.stored' | 'cache.skipped' | 'cache.error'>): void {
  if (!call.span.isRecording()) return;
  const at = hrTime(event.at);
  switch (event.type) {
    case 'cache.hit':
      call.span.addEvent(SPAN_EVENT.cacheHit, defined({ [ATTR.cacheSimilarity]: event.similarity }), at);
      return;
    case 'cache.stored':
      call.span.addEvent(SPAN_EVENT.cacheStored, defined({ [ATTR.cacheReason]: event.reason }), at);
      return;
    case 'cache.skipped':
      call.span.addEvent(SPAN_EVENT.cacheSkipped, { [ATTR.cacheReason]: event.reason }, at);
      return;
    case 'cache.error':
      call.span.addEvent(SPAN_EVENT.cacheError, { [ATTR.cacheReason]: event.operation }, at);
      return;
  }
}

/** Ends the call span; an error outcome sets `error.type` to the Keel kind and status ERROR. */
export function finishCall(call: OpenCall, event: EventOf<'call.finished'>, name: ProviderNamer): void {
  const at = hrTime(event.at);
  endOpenAttempts(call, at);
  if (!call.span.isRecording()) return call.span.end(at);
  call.span.setAttributes(finishAttributes(event, name));
  // Success leaves the status UNSET, as the conventions ask of instrumentation libraries.
  if (event.outcome !== 'ok') call.span.setStatus({ code: SpanStatusCode.ERROR, message: event.outcome });
  call.span.end(at);
}

/** Ends a call evicted from the table (never finished), marked so it is not mistaken for a real end. */
export function abandonCall(call: OpenCall, atMs: number): void {
  const at = hrTime(atMs);
  endOpenAttempts(call, at);
  endAbandoned(call.span, at);
}

function endOpenAttempts(call: OpenCall, at: HrTime): void {
  for (const span of call.attempts.values()) endAbandoned(span, at);
  call.attempts.clear();
}

function endAbandoned(span: Span, at: HrTime): void {
  span.setAttribute(ATTR.abandoned, true);
  span.end(at);
}

function attemptRef(event: AttemptEvent, name: ProviderNamer) {
  return { [ATTR.attempt]: event.attempt, [ATTR.providerName]: name(event.provider), [ATTR.requestModel]: event.model };
}

function attemptKey(event: AttemptEvent): string {
  return `${event.provider}\u0000${event.model}\u0000${event.attempt}`;
}
