import { connect } from 'node:net';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { createTestServer, CUT_HOWS, DEFAULT_REPLY_TEXT, splitIntoChunks, type CutHow, type TestServer } from '../src/index.js';
import { anthropicFor, drain, openaiFor, rejectionOf, USER_PROMPT } from './helpers.js';

/**
 * `reset-after` must reach the client the same way every time: exactly the scripted chunks, then
 * the error. Before the cut waited for its bytes, the SDKs saw none of them. Many runs per case,
 * so a race shows up as a second outcome in the tally (run it with the CPUs saturated too).
 */
const RUNS = 200;
const CHUNKS = splitIntoChunks(DEFAULT_REPLY_TEXT);
const CHUNK_COUNTS = [0, 1, 2, 3];
/** Generous: the runs take a few seconds per case on a quiet machine, much longer with busy cores. */
const CASE_TIMEOUT_MS = 180_000;

/** Counts how often each outcome occurred; a deterministic fault has exactly one. */
async function tally(runs: number, once: () => Promise<string>): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (let i = 0; i < runs; i++) {
    const outcome = await once();
    counts[outcome] = (counts[outcome] ?? 0) + 1;
  }
  return counts;
}

/** What ended a stream: a raw `TypeError: terminated` is what both SDKs surface for a cut body. */
function endOf(error: unknown, sdkError: abstract new (...args: never[]) => Error): string {
  if (error === undefined) return 'no error';
  if (error instanceof sdkError) return `SDK error: ${error.message}`;
  return error instanceof TypeError ? `TypeError: ${error.message}` : `other: ${error instanceof Error ? error.name : typeof error}`;
}

function scriptedCut(chunks: number, how: CutHow) {
  return createTestServer({ script: () => ({ type: 'reset-after', chunks, how }) });
}

describe.each(CUT_HOWS)('reset-after (how: %s) reaches the client the same way every time', { timeout: CASE_TIMEOUT_MS }, (how) => {
  it.each(CHUNK_COUNTS)('openai stream: exactly %i chunk(s), then TypeError: terminated', async (chunks) => {
    await using server = await scriptedCut(chunks, how);
    const client = openaiFor(server);
    const counts = await tally(RUNS, async () => {
      const stream = await client.chat.completions.create({ model: 'gpt-4.1-mini', messages: USER_PROMPT, stream: true });
      const { items, error } = await drain(stream);
      const text = items.flatMap((item) => item.choices[0]?.delta.content || []);
      return `${JSON.stringify(text)} ${endOf(error, OpenAI.APIError)}`;
    });
    expect(counts).toEqual({ [`${JSON.stringify(CHUNKS.slice(0, chunks))} TypeError: terminated`]: RUNS });
  });

  it.each(CHUNK_COUNTS)('anthropic stream: exactly %i delta(s), then TypeError: terminated', async (chunks) => {
    await using server = await scriptedCut(chunks, how);
    const client = anthropicFor(server);
    const counts = await tally(RUNS, async () => {
      const stream = await client.messages.create({ model: 'claude-haiku-4-5', max_tokens: 64, messages: USER_PROMPT, stream: true });
      const { items, error } = await drain(stream);
      const text = items.flatMap((event) => (event.type === 'content_block_delta' && event.delta.type === 'text_delta' ? [event.delta.text] : []));
      return `${JSON.stringify(text)} ${endOf(error, Anthropic.APIError)}`;
    });
    expect(counts).toEqual({ [`${JSON.stringify(CHUNKS.slice(0, chunks))} TypeError: terminated`]: RUNS });
  });

  it('JSON: both SDKs reject with TypeError: terminated, never an API error or a parsed reply', async () => {
    await using server = await scriptedCut(0, how);
    const openai = openaiFor(server);
    const anthropic = anthropicFor(server);
    const counts = await tally(RUNS, async () => {
      const [a, b] = await Promise.all([
        rejectionOf(openai.chat.completions.create({ model: 'gpt-4.1-mini', messages: USER_PROMPT })),
        rejectionOf(anthropic.messages.create({ model: 'claude-haiku-4-5', max_tokens: 64, messages: USER_PROMPT })),
      ]);
      return `${endOf(a, OpenAI.APIError)} | ${endOf(b, Anthropic.APIError)}`;
    });
    expect(counts).toEqual({ 'TypeError: terminated | TypeError: terminated': RUNS });
  });

  it('JSON: a raw socket reads exactly the first half of the body, then the end of the connection', async () => {
    await using server = await scriptedCut(0, how);
    const body = JSON.stringify({ model: 'gpt-4.1-mini', messages: USER_PROMPT });
    const counts = await tally(RUNS, async () => {
      const { bytes, ended } = await rawExchange(server, body);
      const [head, received = ''] = bytes.split('\r\n\r\n');
      const promised = Number(/content-length: (\d+)/i.exec(head ?? '')?.[1]);
      // The half that was sent, all of it, and a body the server promised to be twice as long.
      return `${received.length === Math.floor(promised / 2) && received.startsWith('{"id":"chatcmpl-')} ${ended}`;
    });
    expect(counts).toEqual({ [`true ${how === 'fin' ? 'end' : 'ECONNRESET'}`]: RUNS });
  });
});

/** One HTTP/1.1 request over a plain socket: everything it read, and how the connection ended. */
function rawExchange(server: TestServer, body: string): Promise<{ bytes: string; ended: string }> {
  return new Promise((resolve) => {
    let bytes = '';
    const socket = connect(server.port, '127.0.0.1', () => {
      socket.write(
        `POST /v1/chat/completions HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      );
    });
    socket.setEncoding('utf8');
    socket.on('data', (part: string) => (bytes += part));
    socket.once('end', () => {
      socket.destroy();
      resolve({ bytes, ended: 'end' });
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve({ bytes, ended: error.code ?? error.message }));
  });
}
