import type { Fault } from '../faults.js';
import { estimateTokens, sequentialId, splitIntoChunks, type ReplyPlan, type ReportedUsage, type ServedUsage } from '../reply.js';
import type { WireFormat, WireRequestInfo } from '../wire/wire-format.js';

export interface PlanInput {
  readonly wire: WireFormat;
  readonly info: WireRequestInfo;
  readonly index: number;
  readonly fault: Fault;
  /** The reply text when an `ok` fault names none. */
  readonly text: string;
  readonly receivedAt: number;
}

type OkFault = Extract<Fault, { type: 'ok' }>;

/** What the reply reports, from the truth and the fault's `usage` / `usageScale`. */
function reportedUsage(truth: ServedUsage, ok: OkFault | undefined): ReportedUsage {
  const spec = ok?.usage;
  if (spec === 'omit' || spec === null) return spec;
  const scale = spec === undefined && ok?.usageScale !== undefined ? ok.usageScale : 1;
  const scaled = (n: number) => Math.round(n * scale);
  return {
    inputTokens: spec && 'inputTokens' in spec ? spec.inputTokens : scaled(truth.inputTokens),
    outputTokens: spec && 'outputTokens' in spec ? spec.outputTokens : scaled(truth.outputTokens),
    cacheReadTokens: spec && 'cacheReadTokens' in spec ? spec.cacheReadTokens : scaled(truth.cacheReadTokens),
    cacheWriteTokens: spec && 'cacheWriteTokens' in spec ? spec.cacheWriteTokens : scaled(truth.cacheWriteTokens),
  };
}

/** Decides the whole reply up front, so every fault sends the same deterministic content. */
export function planReply({ wire, info, index, fault, text, receivedAt }: PlanInput): ReplyPlan {
  const ok = fault.type === 'ok' ? fault : undefined;
  const fullText = ok?.text ?? text;
  // A prefilled assistant turn is continued, not repeated (the Anthropic Messages API).
  const replyText = info.prefill && fullText.startsWith(info.prefill) ? fullText.slice(info.prefill.length) : fullText;
  let chunks = splitIntoChunks(replyText);
  let finishReason = ok?.finishReason;
  // Like a real provider, stop at the request's output cap unless told to ignore it.
  if (info.maxTokens !== undefined && chunks.length > info.maxTokens && !ok?.ignoreMaxTokens) {
    chunks = chunks.slice(0, Math.max(0, info.maxTokens));
    finishReason ??= wire.lengthFinishReason;
  }
  const inputTokens = estimateTokens(info.promptChars);
  const cacheReadTokens = Math.min(inputTokens, Math.max(0, Math.floor(ok?.cache?.readTokens ?? 0)));
  const cacheWriteTokens = Math.min(inputTokens - cacheReadTokens, Math.max(0, Math.floor(ok?.cache?.writeTokens ?? 0)));
  const usage: ServedUsage = { inputTokens, outputTokens: chunks.length, cacheReadTokens, cacheWriteTokens };
  return {
    requestId: sequentialId('req_', index),
    id: sequentialId(wire.idPrefix, index),
    created: Math.floor(receivedAt / 1000),
    model: ok?.model ?? info.model ?? wire.defaultModel,
    text: chunks.join(''),
    chunks,
    finishReason,
    usage,
    report: reportedUsage(usage, ok),
    includeUsage: info.includeUsage,
    apiKey: info.apiKey,
    lastUserText: info.lastUserText,
    toolName: info.forcedTool,
    ...(info.embedding ? { embedding: info.embedding } : {}),
    ...(info.logprobs ? { logprobs: chunks.map((_, i) => (ok?.logprobs?.length ? ok.logprobs[i % ok.logprobs.length]! : -0.01)) } : {}),
  };
}
