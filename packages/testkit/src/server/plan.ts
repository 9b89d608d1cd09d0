import type { Fault } from '../faults.js';
import { estimateTokens, sequentialId, splitIntoChunks, type ReplyPlan } from '../reply.js';
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

/** Decides the whole reply up front, so every fault sends the same deterministic content. */
export function planReply({ wire, info, index, fault, text, receivedAt }: PlanInput): ReplyPlan {
  const ok = fault.type === 'ok' ? fault : undefined;
  const replyText = ok?.text ?? text;
  const chunks = splitIntoChunks(replyText);
  return {
    requestId: sequentialId('req_', index),
    id: sequentialId(wire.idPrefix, index),
    created: Math.floor(receivedAt / 1000),
    model: ok?.model ?? info.model ?? wire.defaultModel,
    text: replyText,
    chunks,
    finishReason: ok?.finishReason,
    usage: ok?.usage ?? { inputTokens: estimateTokens(info.promptChars), outputTokens: chunks.length },
    includeUsage: info.includeUsage,
    apiKey: info.apiKey,
    lastUserText: info.lastUserText,
  };
}
