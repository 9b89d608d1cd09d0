/**
 * What the benchmarked calls send and receive. Reply bodies are encoded once, by the testkit's
 * own OpenAI wire encoder (the same bytes its loopback server sends), so every SDK parses exactly
 * what it would parse from the network; each call gets a fresh `Response` around them.
 */
import { DEFAULT_REPLY_TEXT, openaiWire, splitIntoChunks, type ReplyPlan } from '@keel/testkit';

export const MODEL = 'gpt-4o-mini';
export const MAX_TOKENS = 256;

/** The prompt sizes every chat group is measured at: one user message of that many bytes. */
export const PROMPT_SIZES = [
  { id: '40B', label: '40 B', bytes: 40 },
  { id: '10KB', label: '10 KB', bytes: 10 * 1024 },
  { id: '100KB', label: '100 KB', bytes: 100 * 1024 },
] as const;
export type PromptSize = (typeof PROMPT_SIZES)[number];

export interface UserMessage {
  readonly role: 'user';
  readonly content: string;
}

const SENTENCE = 'Where is my order #10423? It was due yesterday, please check the status. ';

/** One user turn of exactly `bytes` ASCII bytes (a short support question, repeated). */
export function promptOf(bytes: number): readonly UserMessage[] {
  const content = SENTENCE.repeat(Math.ceil(bytes / SENTENCE.length)).slice(0, bytes);
  return [{ role: 'user', content }];
}

/** The stream lengths measured: the difference between them, per extra chunk, is the per-chunk cost. */
export const STREAM_DELTAS = [10, 100] as const;

/** The text of a reply: DEFAULT_REPLY_TEXT for chat, `deltas` words for a stream. */
export function replyText(deltas?: number): string {
  if (deltas === undefined) return DEFAULT_REPLY_TEXT;
  const words = splitIntoChunks(DEFAULT_REPLY_TEXT);
  return Array.from({ length: deltas }, (_, i) => words[i % words.length]!.trimEnd() + ' ').join('');
}

const plan = (text: string, includeUsage: boolean): ReplyPlan => ({
  requestId: 'req_bench000000000000000000',
  id: 'chatcmpl-bench0000000000000000000',
  created: 1_767_225_600,
  model: MODEL,
  text,
  chunks: splitIntoChunks(text),
  finishReason: undefined,
  usage: { inputTokens: 31, outputTokens: 10, cacheReadTokens: 0, cacheWriteTokens: 0 },
  report: { inputTokens: 31, outputTokens: 10, cacheReadTokens: 0, cacheWriteTokens: 0 },
  includeUsage,
  apiKey: undefined,
});

const encoder = new TextEncoder();
const jsonPlan = plan(replyText(), false);

/** The `chat.completion` body, encoded once. */
const JSON_BODY = encoder.encode(JSON.stringify(openaiWire.json(jsonPlan)));
const JSON_HEADERS = { ...openaiWire.baseHeaders(jsonPlan), 'content-type': 'application/json' };

/** The SSE frames of a streamed reply of `deltas` words (role chunk, one per word, finish, usage, [DONE]), each encoded once. */
function sseFrames(deltas: number): readonly Uint8Array[] {
  const streamPlan = plan(replyText(deltas), true);
  return [
    ...openaiWire.streamStart(streamPlan),
    ...streamPlan.chunks.map((text) => openaiWire.streamDelta(streamPlan, text)),
    ...openaiWire.streamFinish(streamPlan),
    ...openaiWire.streamEnd(streamPlan),
  ].map((frame) => encoder.encode(frame));
}
const SSE_HEADERS = {
  ...openaiWire.baseHeaders(plan(replyText(1), true)),
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
};

export interface InstantFetch {
  /** A `fetch` that answers at once, without touching the network. */
  readonly fetch: typeof fetch;
  /** How many text deltas the next streamed replies carry (JSON replies do not change). */
  streamDeltas(deltas: number): void;
}

/**
 * A `fetch` that answers at once: a fresh `Response` per call, JSON or SSE as the request body
 * asks. Everything a call then costs is CPU work in the client under test. Each SSE frame is its
 * own body chunk, as a network would deliver them.
 */
export function createInstantFetch(): InstantFetch {
  const framesByDeltas = new Map<number, readonly Uint8Array[]>(STREAM_DELTAS.map((deltas) => [deltas, sseFrames(deltas)]));
  let frames = framesByDeltas.get(STREAM_DELTAS[0])!;
  const instant: typeof fetch = async (_input, init) => {
    const body = typeof init?.body === 'string' ? init.body : '';
    if (!body.includes('"stream":true')) return new Response(JSON_BODY, { status: 200, headers: JSON_HEADERS });
    const stream = frames;
    let next = 0;
    const readable = new ReadableStream<Uint8Array>({
      pull(controller) {
        const frame = stream[next++];
        if (frame) controller.enqueue(frame);
        else controller.close();
      },
    });
    return new Response(readable, { status: 200, headers: SSE_HEADERS });
  };
  return {
    fetch: instant,
    streamDeltas(deltas) {
      frames = framesByDeltas.get(deltas) ?? sseFrames(deltas);
    },
  };
}
