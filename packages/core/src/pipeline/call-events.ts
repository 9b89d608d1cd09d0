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

type CallStarted = Extract<KeelEvent, { type: 'call.started' }>;

/**
 * `call.started` as a class, so that its prompt hash can be a getter on the prototype, computed
 * on first read and kept: a pass over the whole prompt is paid only by a listener that reads it
 * (telemetry does for a recording span only), never by the call itself. An object literal with
 * a getter would cost about ten times as much to build (V8 defines the accessor per object, at
 * run time), on every call that has a listener. The data are own fields, so `{ ...event }` keeps
 * all but the hash; `toJSON` includes it, so a JSON log line has it too.
 */
class CallStartedEvent implements CallStarted {
  readonly type = 'call.started';
  readonly callId: string;
  readonly feature: string;
  readonly at: number;
  readonly stream: boolean;
  readonly provider: string;
  readonly model: string;
  readonly maxTokens: number | undefined;
  readonly temperature: number | undefined;
  readonly user: string | undefined;
  readonly tenant: string | undefined;
  readonly prompt: CallStarted['prompt'];
  readonly #messages: ValidatedRequest['messages'];
  #hash: string | undefined;

  constructor({ call, request, feature, primary, stream, logPrompts }: CallStart) {
    this.callId = call.id;
    this.feature = call.feature;
    this.at = call.startedAt;
    this.stream = stream;
    this.provider = primary.provider;
    this.model = primary.model;
    this.maxTokens = request.maxTokens ?? feature.maxTokens;
    this.temperature = request.temperature ?? feature.temperature;
    this.user = request.user;
    this.tenant = request.tenant;
    this.prompt = logPrompts ? request.messages.map(({ role, content }) => ({ role, content })) : undefined;
    this.#messages = request.messages;
  }

  get promptHash(): string {
    return (this.#hash ??= promptHash(this.#messages));
  }

  toJSON(): CallStarted {
    return { ...this, promptHash: this.promptHash };
  }
}

/** Emits `call.started`. Only called when someone listens. */
export function announceCall(events: EventHub, start: CallStart): void {
  events.emit(new CallStartedEvent(start));
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
