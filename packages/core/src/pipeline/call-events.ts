import { createHash } from 'node:crypto';
import type { ModelRef, ResolvedFeature } from '../config/schema.js';
import type { ValidatedRequest } from '../config/request.js';
import type { EventHub, KeelEvent } from '../events/events.js';
import type { BreakerRegistry } from '../policies/circuit-breaker.js';
import type { CallState } from './context.js';

type CallFinished = Extract<KeelEvent, { type: 'call.finished' }>;

/** SHA-256 of the messages: lets telemetry correlate prompts without holding them. */
export function promptHash(messages: ValidatedRequest['messages']): string {
  const hash = createHash('sha256');
  for (const message of messages) hash.update(message.role).update('\u0000').update(message.content).update('\u0000');
  return hash.digest('hex');
}

export interface CallStart {
  readonly call: CallState;
  readonly request: ValidatedRequest;
  readonly feature: ResolvedFeature;
  /** The first candidate (after the request's model override). */
  readonly primary: ModelRef;
  readonly stream: boolean;
  /** `dangerouslyLogPrompts`: put the prompt itself on the event. */
  readonly logPrompts: boolean;
}

/**
 * Emits `call.started`. Only called when someone listens. The prompt hash is a getter computed
 * on first read and kept: a pass over the whole prompt is paid only by a listener that reads it
 * (telemetry does for a recording span only), never by the call itself.
 */
export function announceCall(events: EventHub, { call, request, feature, primary, stream, logPrompts }: CallStart): void {
  let hash: string | undefined;
  events.emit({
    type: 'call.started',
    callId: call.id,
    feature: call.feature,
    at: call.startedAt,
    stream,
    provider: primary.provider,
    model: primary.model,
    maxTokens: request.maxTokens ?? feature.maxTokens,
    temperature: request.temperature ?? feature.temperature,
    user: request.user,
    tenant: request.tenant,
    get promptHash() {
      return (hash ??= promptHash(request.messages));
    },
    prompt: logPrompts ? request.messages.map(({ role, content }) => ({ role, content })) : undefined,
  });
}

/** Emits `call.finished` (outcome `ok` unless told otherwise), with the breaker's state. */
export function announceFinish(
  events: EventHub,
  breakers: BreakerRegistry,
  call: CallState,
  stream: boolean,
  outcome: Partial<Omit<CallFinished, 'type'>>,
): void {
  if (!events.active) return;
  const now = call.clock.now();
  events.emit({
    type: 'call.finished',
    callId: call.id,
    feature: call.feature,
    user: call.user,
    tenant: call.tenant,
    at: now,
    stream,
    outcome: 'ok',
    attempts: call.attempts.length,
    latencyMs: now - call.startedAt,
    breakerState: outcome.provider && outcome.model ? breakers.stateOf(outcome.provider, outcome.model) : undefined,
    ...outcome,
  });
}
