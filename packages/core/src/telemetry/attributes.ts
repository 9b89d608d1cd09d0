import type { Attributes, HrTime } from '@opentelemetry/api';
import type { KeelEvent } from '../events/events.js';
import { ATTR, OPERATION_CHAT } from './names.js';

export type EventOf<T extends KeelEvent['type']> = Extract<KeelEvent, { type: T }>;

/** Maps a Keel provider id (`openai`, `azure-eu`…) to a `gen_ai.provider.name` value. */
export type ProviderNamer = (providerId: string) => string;

/**
 * Event times are epoch milliseconds on Keel's clock. Passed as HrTime because the SDK reads a
 * small plain number as a `performance.now()` offset (a fake clock starts at 0).
 */
export function hrTime(epochMs: number): HrTime {
  const seconds = Math.floor(epochMs / 1000);
  return [seconds, Math.min(999_999_999, Math.round((epochMs - seconds * 1000) * 1e6))];
}

/** Drops undefined values: OTel ignores them, but an explicit absence reads clearer in tests. */
export function defined(attributes: Record<string, Attributes[string]>): Attributes {
  const out: Attributes = {};
  for (const key in attributes) {
    const value = attributes[key];
    if (value !== undefined) out[key] = value;
  }
  return out;
}

/** Sets `key` only when `value` is defined: builds attribute objects without a throw-away copy. */
function put(out: Attributes, key: string, value: Attributes[string]): void {
  if (value !== undefined) out[key] = value;
}

/** The attributes that name a call in both its span and its metrics (low cardinality only). */
export function callIdentity(provider: string | undefined, model: string | undefined, feature: string, name: ProviderNamer): Attributes {
  const out: Attributes = { [ATTR.operationName]: OPERATION_CHAT };
  if (provider !== undefined) out[ATTR.providerName] = name(provider);
  put(out, ATTR.requestModel, model);
  out[ATTR.feature] = feature;
  return out;
}

/**
 * `callIdentity`, memoised: a service has a few (provider, model, feature) triples, and every
 * call would otherwise build the same object. The objects are frozen (shared by every call);
 * capped so arbitrary model names cannot grow it without bound.
 */
export function callIdentities(name: ProviderNamer, max = 1_000) {
  const memo = new Map<string, Attributes>();
  return (provider: string | undefined, model: string | undefined, feature: string): Attributes => {
    const key = `${provider ?? ''}\u0000${model ?? ''}\u0000${feature}`;
    let identity = memo.get(key);
    if (!identity) {
      identity = Object.freeze(callIdentity(provider, model, feature, name));
      if (memo.size < max) memo.set(key, identity);
    }
    return identity;
  };
}

/** The call span's attributes at start. The prompt goes in only when both opt-ins are on. */
export function startAttributes(event: EventOf<'call.started'>, identity: Attributes, recordPrompts: boolean): Attributes {
  const out: Attributes = { ...identity };
  put(out, ATTR.system, identity[ATTR.providerName]);
  put(out, ATTR.requestMaxTokens, event.maxTokens);
  put(out, ATTR.requestTemperature, event.temperature);
  out[ATTR.requestStream] = event.stream;
  out[ATTR.stream] = event.stream;
  out[ATTR.callId] = event.callId;
  // Read only here, for a recording span: the hash is computed on first read (call-events.ts).
  out[ATTR.promptHash] = event.promptHash;
  if (recordPrompts && event.prompt) out[ATTR.inputMessages] = inputMessages(event.prompt);
  return out;
}

/** `gen_ai.input.messages` as the JSON string the conventions allow on spans. */
function inputMessages(prompt: NonNullable<EventOf<'call.started'>['prompt']>): string {
  return JSON.stringify(prompt.map(({ role, content }) => ({ role, parts: [{ type: 'text', content }] })));
}

/** The call span's attributes at the end: response, usage, cost, budget, breaker. */
export function finishAttributes(event: EventOf<'call.finished'>, name: ProviderNamer): Attributes {
  const { usage, budgetRemaining: budget } = event;
  const out: Attributes = {};
  put(out, ATTR.responseModel, event.model);
  if (event.provider !== undefined) out[ATTR.responseProvider] = name(event.provider);
  if (usage) {
    put(out, ATTR.usageInputTokens, usage.inputTokens);
    put(out, ATTR.usageOutputTokens, usage.outputTokens);
    put(out, ATTR.usageCacheReadTokens, usage.cacheReadTokens);
    put(out, ATTR.usageCacheWriteTokens, usage.cacheWriteTokens);
  }
  if (event.finishReason !== undefined) out[ATTR.responseFinishReasons] = [event.finishReason];
  put(out, ATTR.attempts, event.attempts);
  if (event.ttftMs !== undefined) {
    out[ATTR.ttftMs] = event.ttftMs;
    out[ATTR.responseTimeToFirstChunk] = event.ttftMs / 1000;
  }
  put(out, ATTR.costUsd, event.costUsd);
  if (budget) {
    put(out, ATTR.budgetRemaining, budget.remaining);
    put(out, ATTR.budgetScope, budget.scope);
    put(out, ATTR.budgetUnit, budget.unit);
  }
  put(out, ATTR.breakerState, event.breakerState);
  if (event.cached) out[ATTR.cacheHit] = true;
  put(out, ATTR.cacheSimilarity, event.similarity);
  if (event.outcome !== 'ok') out[ATTR.errorType] = event.outcome;
  return out;
}
