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
  for (const [key, value] of Object.entries(attributes)) if (value !== undefined) out[key] = value;
  return out;
}

/** The attributes that name a call in both its span and its metrics (low cardinality only). */
export function callIdentity(provider: string | undefined, model: string | undefined, feature: string, name: ProviderNamer): Attributes {
  return defined({
    [ATTR.operationName]: OPERATION_CHAT,
    [ATTR.providerName]: provider === undefined ? undefined : name(provider),
    [ATTR.requestModel]: model,
    [ATTR.feature]: feature,
  });
}

/** The call span's attributes at start. The prompt goes in only when both opt-ins are on. */
export function startAttributes(event: EventOf<'call.started'>, identity: Attributes, recordPrompts: boolean): Attributes {
  return defined({
    ...identity,
    [ATTR.system]: identity[ATTR.providerName],
    [ATTR.requestMaxTokens]: event.maxTokens,
    [ATTR.requestTemperature]: event.temperature,
    [ATTR.requestStream]: event.stream,
    [ATTR.stream]: event.stream,
    [ATTR.callId]: event.callId,
    [ATTR.promptHash]: event.promptHash,
    [ATTR.inputMessages]: recordPrompts && event.prompt ? inputMessages(event.prompt) : undefined,
  });
}

/** `gen_ai.input.messages` as the JSON string the conventions allow on spans. */
function inputMessages(prompt: NonNullable<EventOf<'call.started'>['prompt']>): string {
  return JSON.stringify(prompt.map(({ role, content }) => ({ role, parts: [{ type: 'text', content }] })));
}

/** The call span's attributes at the end: response, usage, cost, budget, breaker. */
export function finishAttributes(event: EventOf<'call.finished'>, name: ProviderNamer): Attributes {
  const { usage, budgetRemaining: budget } = event;
  return defined({
    [ATTR.responseModel]: event.model,
    [ATTR.responseProvider]: event.provider === undefined ? undefined : name(event.provider),
    [ATTR.usageInputTokens]: usage?.inputTokens,
    [ATTR.usageOutputTokens]: usage?.outputTokens,
    [ATTR.usageCacheReadTokens]: usage?.cacheReadTokens,
    [ATTR.usageCacheWriteTokens]: usage?.cacheWriteTokens,
    [ATTR.responseFinishReasons]: event.finishReason === undefined ? undefined : [event.finishReason],
    [ATTR.attempts]: event.attempts,
    [ATTR.ttftMs]: event.ttftMs,
    [ATTR.responseTimeToFirstChunk]: event.ttftMs === undefined ? undefined : event.ttftMs / 1000,
    [ATTR.costUsd]: event.costUsd,
    [ATTR.budgetRemaining]: budget?.remaining,
    [ATTR.budgetScope]: budget?.scope,
    [ATTR.budgetUnit]: budget?.unit,
    [ATTR.breakerState]: event.breakerState,
    [ATTR.errorType]: event.outcome === 'ok' ? undefined : event.outcome,
  });
}
