import type { ValidatedRequest } from '../config/request.js';
import type { ResolvedFeature } from '../config/schema.js';
import { candidatesFor } from '../pipeline/candidates.js';
import type { StepOptions } from '../structured/step-options.js';
import { exactCacheKey, semanticScope, type CacheKey, type CacheShape } from './key.js';
import type { ResolvedCache } from './schema.js';
import type { CacheScope } from './semantic-layer.js';

/** How one call uses the cache: its key, who may see the entry, and the semantic lookup. */
export interface CachePlan {
  readonly key: CacheKey;
  readonly scope: CacheScope;
  readonly shape: CacheShape;
  readonly config: ResolvedCache;
  /** Skip the lookup and replace the entry. */
  readonly refresh: boolean;
  readonly semantic?: { readonly scope: CacheScope; readonly prompt: string; readonly minSimilarity: number; readonly verify: boolean } | undefined;
}

export type CacheDecision = { readonly plan: CachePlan } | { readonly skipped: string };

/** Request fields that carry tools or tool traffic, in either provider's format. */
const TOOL_FIELDS = ['tools', 'functions', 'tool_choice', 'function_call'] as const;
const TOOL_BLOCKS = new Set(['tool_use', 'tool_result', 'function_call', 'function_call_output']);

/** Whether `extra` (where the drop-ins put the SDK's own request) carries tools or tool turns. */
function carriesTools(extra: ValidatedRequest['extra']): boolean {
  if (!extra) return false;
  for (const field of TOOL_FIELDS) if (extra[field] !== undefined && extra[field] !== null) return true;
  const messages = extra['messages'];
  if (!Array.isArray(messages)) return false;
  for (const message of messages as unknown[]) {
    if (typeof message !== 'object' || message === null) continue;
    const { role, tool_calls: toolCalls, content } = message as Record<string, unknown>;
    if (role === 'tool' || role === 'function' || (Array.isArray(toolCalls) && toolCalls.length > 0)) return true;
    if (Array.isArray(content) && content.some((block: unknown) => typeof block === 'object' && block !== null && TOOL_BLOCKS.has(String((block as { type?: unknown }).type)))) return true;
  }
  return false;
}

function scopeOf(config: ResolvedCache, feature: string, request: ValidatedRequest): CacheScope | string {
  if (config.scope === 'global') return { tenant: '*', feature };
  if (request.tenant === undefined) return 'no_tenant';
  if (config.scope === 'tenant') return { tenant: request.tenant, feature };
  if (request.user === undefined) return 'no_user';
  return { tenant: request.tenant, feature, user: request.user };
}

/**
 * Decides whether a call may use its feature's cache, and with which key. Never cached:
 * structured-output and cascade steps (their text is judged after the call), conversations
 * with assistant turns and tool traffic unless the feature opts in, sampled calls (temperature
 * above 0 or left to the provider) unless it opts in, and calls outside a complete scope.
 */
export function planCache(
  feature: ResolvedFeature,
  request: ValidatedRequest,
  shape: CacheShape,
  step: StepOptions,
  hasSemanticLayer: boolean,
): CacheDecision | undefined {
  const config = feature.cache;
  if (!config) return undefined;
  const controls = request.cache;
  if (controls?.bypass) return { skipped: 'bypass' };
  if (step.candidates || step.outputSchema || step.logprobs) return { skipped: 'structured' };
  const scope = scopeOf(config, feature.name, request);
  if (typeof scope === 'string') return { skipped: scope };
  const multiTurn = request.messages.some((message) => message.role === 'assistant');
  if (multiTurn && !config.multiTurn) return { skipped: 'multi_turn' };
  const tools = carriesTools(request.extra);
  if (tools && !config.tools) return { skipped: 'tools' };
  // The drop-ins leave the SDK body's own `temperature` in `extra`.
  const extraTemperature = request.extra?.['temperature'];
  const temperature = request.temperature ?? (typeof extraTemperature === 'number' ? extraTemperature : undefined) ?? feature.temperature;
  if (temperature !== 0 && !config.nonZeroTemperature) return { skipped: 'temperature' };
  const cacheRequest = {
    messages: request.messages,
    models: candidatesFor(feature, request.model).map((ref) => `${ref.provider}/${ref.model}`),
    maxTokens: request.maxTokens ?? feature.maxTokens,
    temperature,
    extra: request.extra,
  };
  const last = request.messages[request.messages.length - 1]!;
  // Similar prompts only for a single question without tools: a paraphrase of one turn of a
  // conversation, or of a tool call, is not the same request.
  const semantic =
    config.semantic && hasSemanticLayer && !multiTurn && !tools && last.role === 'user'
      ? {
          scope: semanticScope(scope, shape, cacheRequest),
          prompt: last.content,
          // A request may only tighten the feature's threshold.
          minSimilarity: Math.max(config.semantic.minSimilarity, controls?.minSimilarity ?? 0),
          verify: config.semantic.verify === 'exact-answer',
        }
      : undefined;
  return { plan: { key: exactCacheKey(scope, shape, cacheRequest), scope, shape, config, refresh: controls?.refresh ?? false, semantic } };
}
