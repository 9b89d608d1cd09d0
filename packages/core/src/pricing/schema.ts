import { z } from 'zod';

const usdPerMillion = (field: string) =>
  z
    .number({ error: `${field} must be a number (USD per million tokens)` })
    .finite({ error: `${field} must be finite` })
    .min(0, { error: `${field} must be ≥ 0 (USD per million tokens); a negative price would mint budget` });

/** One model's list price, in USD per million tokens. */
export const modelPriceSchema = z
  .object({
    input: usdPerMillion('input'),
    output: usdPerMillion('output'),
    /** Prompt-cache hits (reads). @default input (no discount assumed) */
    cachedInput: usdPerMillion('cachedInput').optional(),
    /** Prompt-cache writes (Anthropic: 1.25× input for the 5-minute cache). @default input */
    cacheWrite: usdPerMillion('cacheWrite').optional(),
  })
  .strict();

/**
 * Prices by provider id, then by model. A model key matches that exact model and its dated
 * snapshots (see lookup.ts); the key `*` prices every model of the provider (local servers).
 */
export const priceTableSchema = z.record(z.string().min(1), z.record(z.string().min(1), modelPriceSchema));

export type ModelPrice = z.output<typeof modelPriceSchema>;
/** Prices as a user writes them, to merge over the defaults. */
export type PriceTableInput = z.input<typeof priceTableSchema>;
export type PriceTable = Readonly<Record<string, Readonly<Record<string, ModelPrice>>>>;
