import type { ModelPrice } from './schema.js';

/**
 * What may follow a priced model name for the price to still apply: a dated snapshot
 * (`-2024-08-06`, `-20250514`, `-0613`), `-latest`, or Anthropic's `-0` alias
 * (`claude-opus-4-0`). Nothing else: a plain prefix match would price `o1-pro` as `o1` (10×
 * too cheap) or `gpt-4o-audio-preview` as `gpt-4o`; such models stay unpriced until configured.
 */
const SNAPSHOT_SUFFIX = /^(?:-(?:\d{4}-\d{2}-\d{2}|\d{8}|\d{4}|0|latest))+$/;

/** The key that prices every model of a provider (a local server). */
export const ANY_MODEL = '*';

/**
 * The price of `model` among one provider's prices: the exact entry, else the longest key that
 * `model` extends with a snapshot suffix, else the provider's `*` entry. Keys are lower case.
 */
export function findModelPrice<T = ModelPrice>(prices: ReadonlyMap<string, T>, model: string): T | undefined {
  const name = model.toLowerCase();
  const exact = prices.get(name);
  if (exact) return exact;
  let best: string | undefined;
  for (const key of prices.keys()) {
    if (name.length > key.length && name.startsWith(key) && SNAPSHOT_SUFFIX.test(name.slice(key.length))) {
      if (best === undefined || key.length > best.length) best = key;
    }
  }
  return prices.get(best ?? ANY_MODEL);
}
