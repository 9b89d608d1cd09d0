import { KeelError } from '../errors/keel-error.js';
import { DEFAULT_PRICES } from './defaults.js';
import { findModelPrice } from './lookup.js';
import { priceTableSchema, type ModelPrice, type PriceTable, type PriceTableInput } from './schema.js';

/** Resolved prices: defaults with the user's overrides merged over them. */
export interface PriceCatalog {
  /** The price of `provider`/`model`, or `undefined` when it is unpriced. Memoised. */
  priceOf(provider: string, model: string): ModelPrice | undefined;
  /** Every priced provider → model key (for docs, telemetry and error messages). */
  entries(): PriceTable;
}

export interface PriceCatalogOptions {
  /** Prices that replace or extend the defaults, per provider and model. */
  readonly overrides?: PriceTableInput | undefined;
  /** Start from these instead of Keel's defaults (`{}` to price only what you list). */
  readonly defaults?: PriceTable | undefined;
}

/** Formats zod issues as `path: message` lines (same shape as config/resolve.ts). */
function issueLines(error: { issues: readonly { path: readonly PropertyKey[]; message: string }[] }): string[] {
  return error.issues.map((issue) => {
    const path = ['pricing', ...issue.path.map(String)].join('.');
    return `${path}: ${issue.message}`;
  });
}

/** Validates price overrides; returns the problems as `path: message` lines (empty when valid). */
export function priceOverrideIssues(overrides: unknown): string[] {
  const parsed = priceTableSchema.safeParse(overrides);
  return parsed.success ? [] : issueLines(parsed.error);
}

/**
 * Builds the price catalog once, at `createKeel`: overrides are validated (a negative or
 * non-numeric price is a `bad_request` KeelError listing every problem) and merged over the
 * defaults model by model — an override replaces that model's whole price, so a stale cached
 * price is never mixed with a new input price.
 */
export function createPriceCatalog(options: PriceCatalogOptions = {}): PriceCatalog {
  const parsed = priceTableSchema.safeParse(options.overrides ?? {});
  if (!parsed.success) {
    const issues = issueLines(parsed.error);
    throw new KeelError('bad_request', `Invalid Keel configuration:\n  ${issues.join('\n  ')}`, { issues });
  }
  const providers = new Map<string, Map<string, ModelPrice>>();
  for (const source of [options.defaults ?? DEFAULT_PRICES, parsed.data]) {
    for (const [provider, models] of Object.entries(source)) {
      let prices = providers.get(provider);
      if (!prices) providers.set(provider, (prices = new Map<string, ModelPrice>()));
      for (const [model, price] of Object.entries(models)) prices.set(model.toLowerCase(), Object.freeze({ ...price }));
    }
  }

  // Memo of lookups, by provider then model (no key string built per call): a call's model is
  // usually one of a few configured ones. Capped so arbitrary model names cannot grow it without bound.
  const memo = new Map<string, Map<string, ModelPrice | null>>();
  const MAX_MEMO = 1_000;
  let memoSize = 0;

  return {
    priceOf(provider, model) {
      let byModel = memo.get(provider);
      let price = byModel?.get(model);
      if (price === undefined) {
        const prices = providers.get(provider);
        price = (prices && findModelPrice(prices, model)) ?? null;
        if (memoSize < MAX_MEMO) {
          if (!byModel) memo.set(provider, (byModel = new Map<string, ModelPrice | null>()));
          byModel.set(model, price);
          memoSize++;
        }
      }
      return price ?? undefined;
    },
    entries() {
      const out: Record<string, Record<string, ModelPrice>> = {};
      for (const [provider, prices] of providers) out[provider] = Object.fromEntries(prices);
      return out;
    },
  };
}
