import type { AttemptRecord, CandidateRecord } from '../errors/keel-error.js';
import type { ChatMessage, FinishReason, Usage } from '../provider/messages.js';

/** What `keel.chat` returns, and what a finished stream resolves to. */
export interface ChatResult {
  readonly text: string;
  readonly message: ChatMessage & { readonly role: 'assistant' };
  readonly finishReason: FinishReason;
  /** The provider's usage; when it reported none (or an invalid one), Keel's own count, flagged by `usageEstimated`. */
  readonly usage: Usage;
  /** True when the provider reported no usable usage and `usage` is Keel's own count (see `usage.missing`). */
  readonly usageEstimated?: true | undefined;
  /** The provider and model that actually answered (after any fallback). */
  readonly provider: string;
  readonly model: string;
  /** What the call cost in US dollars on the model that answered; undefined when it is unpriced. */
  readonly costUsd?: number | undefined;
  /** The tightest budget's room left after this call, when the feature has a budget. */
  readonly budgetRemaining?: { readonly scope: string; readonly remaining: number; readonly unit: 'tokens' | 'usd' } | undefined;
  /** Every attempt made, failed ones included, in order. */
  readonly attempts: readonly AttemptRecord[];
  /** Every candidate tried, why each was left and what each cost (see docs/failover.md). */
  readonly candidates?: readonly CandidateRecord[] | undefined;
  /** Wall time of the whole call, waits included, in milliseconds. */
  readonly latencyMs: number;
  /** Streams only: time from the call's start to the first token, in milliseconds. */
  readonly ttftMs?: number | undefined;
  /** The SDK's own response object, when the call asked for it (drop-in wrappers). */
  readonly raw?: unknown;
  /** True when the answer came from the cache: nothing was sent, charged or counted (docs/caching.md). */
  readonly cached?: true | undefined;
  /** A semantic hit's cosine similarity between this prompt and the cached one. */
  readonly similarity?: number | undefined;
  /** Each output token's log probability, when a cascade's confidence gate asked and the provider returned them. */
  readonly logprobs?: readonly number[] | undefined;
}
