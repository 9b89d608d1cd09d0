import { createNoopMeter, metrics, trace, type Context, type Meter, type MeterProvider, type Tracer, type TracerProvider } from '@opentelemetry/api';
import type { KeelEvent, KeelEventListener } from '../events/events.js';
import { callIdentities, type ProviderNamer } from './attributes.js';
import { CallTable } from './call-table.js';
import { KeelMetrics } from './metrics.js';
import { SCOPE } from './names.js';
import { abandonCall, endAttempt, finishCall, recordCacheEvent, recordFailoverEvent, recordFirstToken, recordMissingUsage, recordPolicyEvent, startAttempt, startCall } from './spans.js';

export interface OpenTelemetryOptions {
  /** @default `tracerProvider.getTracer('@keel/core', version)`, else the global tracer */
  readonly tracer?: Tracer | undefined;
  readonly tracerProvider?: TracerProvider | undefined;
  /** @default `meterProvider.getMeter('@keel/core', version)`, else the global meter */
  readonly meter?: Meter | undefined;
  readonly meterProvider?: MeterProvider | undefined;
  /**
   * Put the prompt on the call span as `gen_ai.input.messages`. It is there to record only when
   * Keel was also built with `dangerouslyLogPrompts`: two opt-ins, on purpose. @default false
   */
  readonly recordPrompts?: boolean | undefined;
  /** Maps Keel provider ids to `gen_ai.provider.name` values (`azure` → `azure.ai.openai`). @default identity */
  readonly providerName?: ProviderNamer | undefined;
  /** Most calls with an open span; beyond it the oldest is ended as abandoned. @default 10000 */
  readonly maxOpenCalls?: number | undefined;
  /** A call open longer than this is ended as abandoned when another starts. @default 30 minutes */
  readonly maxCallAgeMs?: number | undefined;
}

/** Anything with Keel's `on(listener)`; typed structurally so telemetry does not import the pipeline. */
export interface KeelEventSource {
  on(listener: KeelEventListener): () => void;
}

export interface KeelTelemetry {
  /** Subscribe it: `keel.on(telemetry.listener)` or `createKeel({ onEvent: telemetry.listener })`. */
  readonly listener: KeelEventListener;
  /** `keel.on(listener)`, returning the unsubscribe function. */
  instrument(keel: KeelEventSource): () => void;
  /**
   * The context holding a call's open attempt span (else its call span), to nest other spans
   * under Keel's; undefined for a call with no span to nest under (no SDK, no trace).
   */
  contextFor(callId: string): Context | undefined;
  /** Calls whose span is open now (a call with an inert span, no SDK and no trace, is not kept). */
  openCalls(): number;
  /** Ends every open span, marked `keel.telemetry.abandoned` (at shutdown). @param atMs epoch ms, default now */
  endAll(atMs?: number): void;
}

/**
 * Turns Keel's events into OpenTelemetry spans and metrics through `@opentelemetry/api` alone;
 * with no SDK registered every span and instrument is a no-op. One listener, synchronous and
 * cheap: a Map entry per open call, cleaned on `call.finished` and bounded otherwise.
 */
export function createOpenTelemetry(options: OpenTelemetryOptions = {}): KeelTelemetry {
  const tracer = options.tracer ?? (options.tracerProvider ?? trace).getTracer(SCOPE.name, SCOPE.version);
  const meter = options.meter ?? (options.meterProvider ?? metrics).getMeter(SCOPE.name, SCOPE.version);
  const name: ProviderNamer = options.providerName ?? ((id) => id);
  const recordPrompts = options.recordPrompts ?? false;
  // The API's no-op meter (no MeterProvider registered) records nothing, ever: its meters are
  // not proxies, so a provider registered later never reaches them. Skip the metric work.
  const instruments = meter === createNoopMeter() ? undefined : new KeelMetrics(meter, name);
  const identityOf = callIdentities(name);
  const calls = new CallTable(
    { maxOpenCalls: Math.max(1, options.maxOpenCalls ?? 10_000), maxCallAgeMs: options.maxCallAgeMs ?? 30 * 60_000 },
    abandonCall,
  );

  function listener(event: KeelEvent): void {
    switch (event.type) {
      case 'call.started': {
        const call = startCall(tracer, event, identityOf(event.provider, event.model, event.feature), recordPrompts);
        if (call) calls.add(call);
        return;
      }
      case 'attempt.started': {
        const call = calls.get(event.callId);
        if (call) startAttempt(tracer, call, event, name);
        return;
      }
      case 'attempt.succeeded':
      case 'attempt.failed': {
        const call = calls.get(event.callId);
        if (call) endAttempt(call, event);
        instruments?.attemptEnded(event);
        return;
      }
      case 'retry.scheduled':
      case 'retry.denied':
      case 'fallback': {
        const call = calls.get(event.callId);
        if (call) recordPolicyEvent(call, event, name);
        if (event.type === 'fallback') instruments?.fallback(event);
        return;
      }
      case 'stream.first_token': {
        const call = calls.get(event.callId);
        if (call) recordFirstToken(call, event);
        instruments?.firstToken(event, call?.identity ?? identityOf(event.provider, event.model, event.feature));
        return;
      }
      case 'stream.recovered':
      case 'hedge.started':
      case 'hedge.won': {
        const call = calls.get(event.callId);
        if (call) recordFailoverEvent(call, event);
        return;
      }
      case 'usage.missing': {
        const call = calls.get(event.callId);
        if (call) recordMissingUsage(call, event);
        return;
      }
      case 'cache.hit':
      case 'cache.stored':
      case 'cache.skipped':
      case 'cache.error': {
        const call = calls.get(event.callId);
        if (call) recordCacheEvent(call, event);
        return;
      }
      case 'cache.miss':
        return;
      case 'call.finished': {
        const call = calls.take(event.callId);
        if (call) finishCall(call, event, name);
        instruments?.callFinished(event, call?.identity ?? identityOf(event.provider, event.model, event.feature));
        return;
      }
      case 'breaker.opened':
      case 'breaker.half_open':
      case 'breaker.closed':
        instruments?.breaker(event);
        return;
    }
  }

  return {
    listener,
    instrument: (keel) => keel.on(listener),
    contextFor(callId) {
      const call = calls.get(callId);
      if (!call) return undefined;
      let current: Context = call.context;
      for (const span of call.attempts.values()) current = trace.setSpan(call.context, span);
      return current;
    },
    openCalls: () => calls.size,
    endAll: (atMs = Date.now()) => calls.evictAll(atMs),
  };
}
