import { describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { createKeel, type StreamEvent } from '@keel/core';
import { createTestServer, DEFAULT_REPLY_TEXT } from '@keel/testkit';
import { createOpenAIProvider } from '../src/index.js';
import { CANARY_KEY } from './support.js';

// `includeRaw` streams carry the SDK's chunks; `rawOnly` (what the drop-ins ask for) leaves the
// text events out, since the chunks already carry the text. The result is the same either way.
function keelFor(url: string) {
  return createKeel({
    providers: [createOpenAIProvider({ client: new OpenAI({ apiKey: CANARY_KEY, baseURL: `${url}/v1` }) })],
    features: { support: { models: [{ provider: 'openai', model: 'gpt-4o-mini' }] } },
  });
}

async function eventsOf(stream: AsyncIterable<StreamEvent>): Promise<StreamEvent[]> {
  const events: StreamEvent[] = [];
  for await (const event of stream) events.push(event);
  return events;
}

const REQUEST = { feature: 'support', messages: [{ role: 'user' as const, content: 'Say something.' }] };

describe('keel.stream with includeRaw', () => {
  it('yields text events beside the raw chunks by default', async () => {
    await using server = await createTestServer();
    const events = await eventsOf(keelFor(server.url).stream(REQUEST, { includeRaw: true }));
    const types = new Set(events.map((event) => event.type));
    expect(types).toEqual(new Set(['raw', 'text', 'usage', 'finish']));
    const text = events.flatMap((event) => (event.type === 'text' ? [event.text] : [])).join('');
    expect(text).toBe(DEFAULT_REPLY_TEXT);
  });

  it('rawOnly leaves the text events out; the chunks and the result carry the whole text', async () => {
    await using server = await createTestServer();
    const events = await eventsOf(keelFor(server.url).stream(REQUEST, { includeRaw: true, rawOnly: true }));
    expect(events.some((event) => event.type === 'text')).toBe(false);
    const fromChunks = events
      .flatMap((event) => (event.type === 'raw' ? [(event.chunk as OpenAI.Chat.Completions.ChatCompletionChunk).choices[0]?.delta?.content ?? ''] : []))
      .join('');
    expect(fromChunks).toBe(DEFAULT_REPLY_TEXT);
    const finish = events.at(-1);
    expect(finish?.type === 'finish' && finish.result.text).toBe(DEFAULT_REPLY_TEXT);
  });

  it('rawOnly without includeRaw changes nothing', async () => {
    await using server = await createTestServer();
    const events = await eventsOf(keelFor(server.url).stream(REQUEST, { rawOnly: true }));
    expect(events.filter((event) => event.type === 'text').map((event) => (event.type === 'text' ? event.text : '')).join('')).toBe(DEFAULT_REPLY_TEXT);
    expect(events.some((event) => event.type === 'raw')).toBe(false);
  });
});
