import type { PriceCatalog } from './table.js';

/** A model that a USD budget or limit will have to price. */
export interface PricedUse {
  /** Where it is configured, for the message (e.g. `features.chat.models.0`). */
  readonly path: string;
  readonly provider: string;
  readonly model: string;
}

/**
 * One issue line per model that a money budget needs but the catalog cannot price. Call it at
 * `createKeel` with every candidate (and degrade) model of each feature that has a USD limit:
 * an unpriced model would make the budget silently count $0, so it is a configuration error.
 */
export function unpricedIssues(catalog: PriceCatalog, uses: readonly PricedUse[]): string[] {
  const issues: string[] = [];
  for (const use of uses) {
    if (catalog.priceOf(use.provider, use.model) === undefined) {
      issues.push(
        `${use.path}: no price for ${use.provider}/${use.model}, which a USD budget needs; ` +
          `add pricing.${use.provider}["${use.model}"] = { input, output } (USD per million tokens) or use a token budget`,
      );
    }
  }
  return issues;
}
