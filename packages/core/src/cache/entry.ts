import type { FinishReason, Usage } from '../provider/messages.js';
import type { ChatResult } from '../pipeline/result.js';
import type { CacheShape } from './key.js';

/** What the exact cache keeps of an answer: enough to replay it, as one JSON string. */
export interface CachedAnswer {
  readonly v: 1;
  readonly text: string;
  readonly finishReason: FinishReason;
  readonly provider: string;
  readonly model: string;
  /** The usage the original call paid for (a hit itself costs nothing). */
  readonly usage: Usage;
  readonly createdAt: number;
  /** `raw-response`: the SDK's response object. */
  readonly raw?: unknown;
  /** `raw-chunks`: the SDK's stream chunks, in order. */
  readonly chunks?: readonly unknown[] | undefined;
}

/**
 * Why a result must not be cached, or undefined when it may be. Only a complete, non-empty
 * answer that the provider finished with `stop` and reported usage for is kept: truncated
 * (`length`), filtered, budget-cut, tool-calling and unknown endings are not, nor is an answer
 * whose usage Keel had to estimate. Errors (refusals, schema failures…) never reach here.
 */
export function whyNotCacheable(result: ChatResult, shape: CacheShape): string | undefined {
  if (result.finishReason !== 'stop') return `finish_${result.finishReason}`;
  if (result.text.trim() === '') return 'empty';
  if (result.usageEstimated) return 'usage_missing';
  if (shape === 'raw-response' && result.raw === undefined) return 'no_raw';
  return undefined;
}

export function encodeAnswer(result: ChatResult, createdAt: number, chunks: readonly unknown[] | undefined): string {
  const answer: CachedAnswer = {
    v: 1,
    text: result.text,
    finishReason: result.finishReason,
    provider: result.provider,
    model: result.model,
    usage: result.usage,
    createdAt,
    ...(result.raw !== undefined ? { raw: result.raw } : {}),
    ...(chunks ? { chunks } : {}),
  };
  return JSON.stringify(answer);
}

/** The stored entry, or undefined when it is not one Keel wrote (a foreign or corrupted value). */
export function decodeAnswer(value: unknown, shape: CacheShape): CachedAnswer | undefined {
  if (typeof value !== 'string') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const answer = parsed as Partial<CachedAnswer>;
  if (answer.v !== 1 || typeof answer.text !== 'string' || answer.finishReason !== 'stop') return undefined;
  if (typeof answer.provider !== 'string' || typeof answer.model !== 'string' || typeof answer.usage !== 'object' || answer.usage === null) return undefined;
  if (shape === 'raw-response' && answer.raw === undefined) return undefined;
  if (shape === 'raw-chunks' && !Array.isArray(answer.chunks)) return undefined;
  return answer as CachedAnswer;
}
