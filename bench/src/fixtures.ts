/**
 * What the benchmarked calls send and receive. The reply bodies are encoded once, by the
 * testkit's own OpenAI wire encoder (the same bytes its loopback server sends), so the SDK parses
 * exactly what it would parse from the network; each call gets a fresh `Response` around them.
 */
import { DEFAULT_REPLY_TEXT, openaiWire, splitIntoChunks, type ReplyPlan } from '@keel/testkit';

export const MODEL = 'gpt-4o-mini';
export const FALLBACK_MODEL = 'gpt-4o';
export const MAX_TOKENS = 256;

/** One short user turn after a system prompt: the shape of a typical backend call. */
export const MESSAGES = [
  { role: 'system', content: 'You are a concise support assistant for an online shop. Answer in one sentence.' },
  { role: 'user', content: 'Where is my order #10423? It was due yesterday.' },
] as const satisfies readonly { role: 'system' | 'user'; content: string }[];

const plan = (includeUsage: boolean): ReplyPlan => ({
  requestId: 'req_bench000000000000000000',
  id: 'chatcmpl-bench0000000000000000000',
  created: 1_767_225_600,
  model: MODEL,
  text: DEFAULT_REPLY_TEXT,
  chunks: splitIntoChunks(DEFAULT_REPLY_TEXT),
  finishReason: undefined,
  usage: { inputTokens: 31, outputTokens: 10 },
  includeUsage,
  apiKey: undefined,
});

const encoder = new TextEncoder();
const jsonPlan = plan(false);
const streamPlan = plan(true);

/** The `chat.completion` body, encoded once. */
export const JSON_BODY = encoder.encode(JSON.stringify(openaiWire.json(jsonPlan)));

/** How many text deltas a streamed reply carries (one per word). */
export const TEXT_DELTAS = streamPlan.chunks.length;

/** The SSE frames of a streamed reply (role chunk, one per word, finish, usage, [DONE]), each encoded once. */
export const SSE_FRAMES: readonly Uint8Array[] = [
  ...openaiWire.streamStart(streamPlan),
  ...streamPlan.chunks.map((text) => openaiWire.streamDelta(streamPlan, text)),
  ...openaiWire.streamFinish(streamPlan),
  ...openaiWire.streamEnd(streamPlan),
].map((frame) => encoder.encode(frame));

const JSON_HEADERS = { ...openaiWire.baseHeaders(jsonPlan), 'content-type': 'application/json' };
const SSE_HEADERS = { ...openaiWire.baseHeaders(streamPlan), 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' };

/**
 * A `fetch` that answers at once, without touching the network: a fresh `Response` per call,
 * JSON or SSE as the request body asks. Everything a call then costs is CPU work in the SDK (and
 * in Keel, when Keel is in front of it). Each SSE frame is its own body chunk, as a network
 * would deliver them.
 */
export const instantFetch: typeof fetch = async (_input, init) => {
  const body = typeof init?.body === 'string' ? init.body : '';
  if (!body.includes('"stream":true')) return new Response(JSON_BODY, { status: 200, headers: JSON_HEADERS });
  let next = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      const frame = SSE_FRAMES[next++];
      if (frame) controller.enqueue(frame);
      else controller.close();
    },
  });
  return new Response(stream, { status: 200, headers: SSE_HEADERS });
};

/** The text every reply carries, to check that each scenario really read the whole answer. */
export const EXPECTED_TEXT = DEFAULT_REPLY_TEXT;
