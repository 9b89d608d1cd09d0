import { findModelPrice } from '../pricing/lookup.js';

/**
 * When the default context windows were last checked against the providers' model pages
 * (platform.openai.com/docs/models, docs.anthropic.com/en/docs/about-claude/models).
 */
export const DEFAULT_CONTEXT_WINDOWS_AS_OF = '2025-11-01';

/**
 * Context windows in tokens (prompt + output), for the models Keel prices by default
 * (`pricing/defaults.ts`). Claude Sonnet 4 / 4.5 offer 1M tokens only behind a beta header, so
 * the catalog says 200k; a deployment that uses it sets `contextWindow` on the model ref. A
 * local server (llama.cpp) has whatever window it was started with: unknown here.
 */
export const DEFAULT_CONTEXT_WINDOWS: Readonly<Record<string, Readonly<Record<string, number>>>> = {
  openai: {
    'gpt-5': 400_000,
    'gpt-5-mini': 400_000,
    'gpt-5-nano': 400_000,
    'gpt-4.1': 1_047_576,
    'gpt-4.1-mini': 1_047_576,
    'gpt-4.1-nano': 1_047_576,
    'gpt-4o': 128_000,
    'gpt-4o-mini': 128_000,
    o1: 200_000,
    o3: 200_000,
    'o3-mini': 200_000,
    'o4-mini': 200_000,
    'gpt-4-turbo': 128_000,
    'gpt-4': 8_192,
    'gpt-3.5-turbo': 16_385,
  },
  anthropic: {
    'claude-opus-4-5': 200_000,
    'claude-opus-4-1': 200_000,
    'claude-opus-4': 200_000,
    'claude-sonnet-4-5': 200_000,
    'claude-sonnet-4': 200_000,
    'claude-3-7-sonnet': 200_000,
    'claude-haiku-4-5': 200_000,
    'claude-3-5-haiku': 200_000,
    'claude-3-haiku': 200_000,
  },
};

const byProvider = new Map(Object.entries(DEFAULT_CONTEXT_WINDOWS).map(([provider, models]) => [provider, new Map(Object.entries(models))]));

/**
 * A model's context window in tokens: the model ref's own `contextWindow` (configuration wins),
 * else the catalog's entry for the model or the dated snapshot it extends (`gpt-4o-2024-08-06`),
 * else `undefined` (unknown: Keel then lets the provider judge).
 */
export function contextWindowOf(ref: { readonly provider: string; readonly model: string; readonly contextWindow?: number | undefined }): number | undefined {
  if (ref.contextWindow !== undefined) return ref.contextWindow;
  const models = byProvider.get(ref.provider);
  return models ? findModelPrice(models, ref.model) : undefined;
}
