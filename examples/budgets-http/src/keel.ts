import OpenAI from 'openai';
import { createKeel, type Clock, type FeatureConfig, type Keel } from '@keel/core';
import { createOpenAIProvider } from '@keel/openai';

/**
 * The `summarize` feature and its spending rules. Everything about budgets lives here, in
 * configuration; the HTTP handler only turns Keel's answer (or its KeelError) into a response.
 */
export const SUMMARIZE = {
  models: [{ provider: 'openai', model: 'gpt-4o-mini' }],
  // Required with a budget: Keel reserves input + maxTokens of output before each call.
  maxTokens: 300,
  timeouts: { totalMs: 10_000 },
  budget: {
    limits: [
      // Each user may spend 1,000 tokens a day on this feature (a UTC calendar day).
      { scope: 'user', unit: 'tokens', limit: 1_000, window: 'day' },
      // The whole feature may spend $5 a month. USD needs a priced model: gpt-4o-mini is in
      // Keel's default price table ($0.15 / $0.60 per million input / output tokens).
      { scope: 'feature', unit: 'usd', limit: 5, window: 'month' },
    ],
    // No single call may use more than 2,000 tokens, input and output together.
    perRequest: { maxTokens: 2_000 },
    // When a call does not fit: refuse it (the default). See docs/budgets.md for clamp / degrade.
    onExceeded: 'refuse',
  },
  // And no user may send more than 3 requests a minute (a burst of 3, then one every 20 s).
  rateLimits: [{ scope: 'user', requestsPerMinute: 3 }],
} satisfies FeatureConfig;

export interface SummarizeKeelOptions {
  /** The OpenAI-compatible base URL, e.g. the testkit's `${server.url}/v1`. */
  readonly baseURL: string;
  /** Keel's time source; the demo passes the testkit's fake clock. @default the system clock */
  readonly clock?: Clock | undefined;
  /** Replaces the `summarize` feature's configuration (tests use it to drop the rate limit). @default SUMMARIZE */
  readonly summarize?: FeatureConfig | undefined;
}

/** A Keel instance with the one `summarize` feature, over the real `openai` client. */
export function createSummarizeKeel(options: SummarizeKeelOptions): Keel {
  const client = new OpenAI({ apiKey: 'sk-demo-not-a-real-key', baseURL: options.baseURL });
  return createKeel({
    providers: [createOpenAIProvider({ client })],
    features: { summarize: options.summarize ?? SUMMARIZE },
    clock: options.clock,
    // Budgets and rate limits are counted in memory by default (one process). Several replicas
    // need a shared store: pass `budgetStore` / `rateLimitStore` (see docs/budgets.md).
  });
}
