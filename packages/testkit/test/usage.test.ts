import { describe, expect, it } from 'vitest';
import { createTestServer, DEFAULT_REPLY_TEXT, splitIntoChunks } from '../src/index.js';
import { anthropicFor, drain, openaiFor, USER_PROMPT } from './helpers.js';

const CHUNKS = splitIntoChunks(DEFAULT_REPLY_TEXT);
const PROMPT_TOKENS = Math.ceil(USER_PROMPT[0]!.content.length / 4);
const LONG_PROMPT = [{ role: 'user' as const, content: 'x'.repeat(400) }]; // 100 input tokens

/** Raw JSON bodies, so corrupted values arrive exactly as the server sent them. */
async function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Record<string, unknown>> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  return (await response.json()) as Record<string, unknown>;
}

describe('testkit: reported usage', () => {
  it('omits usage, sends usage: null, or corrupted values, on both wires', async () => {
    await using server = await createTestServer({
      script: [
        { type: 'ok', usage: 'omit' },
        { type: 'ok', usage: null },
        { type: 'ok', usage: { inputTokens: -3, outputTokens: '7' } },
        { type: 'ok', usage: { outputTokens: 1e308 } },
        { type: 'ok', usage: 'omit' },
        { type: 'ok', usage: null },
      ],
    });
    const openai = `${server.url}/v1/chat/completions`;
    const body = { model: 'gpt-4o-mini', messages: USER_PROMPT };
    expect('usage' in (await postJson(openai, body))).toBe(false);
    expect((await postJson(openai, body))['usage']).toBeNull();
    expect((await postJson(openai, body))['usage']).toMatchObject({ prompt_tokens: -3, completion_tokens: '7', total_tokens: null });
    expect((await postJson(openai, body))['usage']).toMatchObject({ prompt_tokens: PROMPT_TOKENS, completion_tokens: 1e308 });
    const anthropic = `${server.url}/v1/messages`;
    const message = { model: 'claude-x', max_tokens: 64, messages: USER_PROMPT };
    expect('usage' in (await postJson(anthropic, message))).toBe(false);
    expect((await postJson(anthropic, message))['usage']).toBeNull();
    // Whatever the reply reported, the server's own count is the truth.
    for (const request of server.requests) expect(request.served).toEqual({ inputTokens: PROMPT_TOKENS, outputTokens: CHUNKS.length, cacheReadTokens: 0, cacheWriteTokens: 0 });
  });

  it('usageScale inflates what is reported, not what is served', async () => {
    await using server = await createTestServer({ script: [{ type: 'ok', usageScale: 10 }] });
    const completion = await openaiFor(server).chat.completions.create({ model: 'gpt-4o-mini', messages: USER_PROMPT });
    expect(completion.usage).toMatchObject({ prompt_tokens: PROMPT_TOKENS * 10, completion_tokens: CHUNKS.length * 10 });
    expect(server.requests[0]!.served).toMatchObject({ inputTokens: PROMPT_TOKENS, outputTokens: CHUNKS.length });
  });

  it('a stream with usage omitted or null sends no usage chunk (OpenAI) and no usage field (Anthropic omit)', async () => {
    await using server = await createTestServer({ script: [{ type: 'ok', usage: 'omit' }, { type: 'ok', usage: null }, { type: 'ok', usage: 'omit' }] });
    for (let i = 0; i < 2; i++) {
      const { items } = await drain(
        await openaiFor(server).chat.completions.create({ model: 'gpt-4o-mini', messages: USER_PROMPT, stream: true, stream_options: { include_usage: true } }),
      );
      expect(items.every((chunk) => chunk.usage === null)).toBe(true);
    }
    const { items } = await drain(await anthropicFor(server).messages.create({ model: 'claude-x', max_tokens: 64, messages: USER_PROMPT, stream: true }));
    for (const event of items) {
      if (event.type === 'message_start') expect('usage' in event.message).toBe(false);
      if (event.type === 'message_delta') expect('usage' in event).toBe(false);
    }
  });
});

describe('testkit: prompt-cache usage', () => {
  it('OpenAI: prompt_tokens includes the cached tokens, reported again in prompt_tokens_details', async () => {
    await using server = await createTestServer({ script: [{ type: 'ok', cache: { readTokens: 60 } }] });
    const completion = await openaiFor(server).chat.completions.create({ model: 'gpt-4o-mini', messages: LONG_PROMPT });
    expect(completion.usage).toMatchObject({ prompt_tokens: 100, prompt_tokens_details: { cached_tokens: 60 } });
    expect(server.requests[0]!.served).toMatchObject({ inputTokens: 100, cacheReadTokens: 60, cacheWriteTokens: 0 });
  });

  it('Anthropic: input_tokens excludes cache reads and writes, in JSON and in message_start / message_delta', async () => {
    const cache = { readTokens: 60, writeTokens: 30 };
    await using server = await createTestServer({ script: [{ type: 'ok', cache }, { type: 'ok', cache }] });
    const client = anthropicFor(server);
    const message = await client.messages.create({ model: 'claude-x', max_tokens: 64, messages: LONG_PROMPT });
    const expected = { input_tokens: 10, cache_read_input_tokens: 60, cache_creation_input_tokens: 30 };
    expect(message.usage).toMatchObject({ ...expected, output_tokens: CHUNKS.length });
    const { items } = await drain(await client.messages.create({ model: 'claude-x', max_tokens: 64, messages: LONG_PROMPT, stream: true }));
    const start = items.find((event) => event.type === 'message_start');
    const delta = items.find((event) => event.type === 'message_delta');
    expect(start?.type === 'message_start' && start.message.usage).toMatchObject(expected);
    expect(delta?.type === 'message_delta' && delta.usage).toMatchObject({ ...expected, output_tokens: CHUNKS.length });
    expect(server.requests[1]!.served).toEqual({ inputTokens: 100, outputTokens: CHUNKS.length, cacheReadTokens: 60, cacheWriteTokens: 30 });
  });
});

describe('testkit: max_tokens and the served count', () => {
  it('stops at max_tokens / max_completion_tokens like a provider, unless the fault ignores it', async () => {
    await using server = await createTestServer({ script: [{ type: 'ok' }, { type: 'ok' }, { type: 'ok', ignoreMaxTokens: true }] });
    const openai = openaiFor(server);
    const capped = await openai.chat.completions.create({ model: 'gpt-4o-mini', messages: USER_PROMPT, max_completion_tokens: 3 });
    expect(capped.choices[0]).toMatchObject({ message: { content: CHUNKS.slice(0, 3).join('') }, finish_reason: 'length' });
    expect(capped.usage).toMatchObject({ completion_tokens: 3 });
    const message = await anthropicFor(server).messages.create({ model: 'claude-x', max_tokens: 2, messages: USER_PROMPT });
    expect(message).toMatchObject({ stop_reason: 'max_tokens', usage: { output_tokens: 2 } });
    const ignored = await openai.chat.completions.create({ model: 'gpt-4o-mini', messages: USER_PROMPT, max_tokens: 3 });
    expect(ignored.choices[0]!.message.content).toBe(DEFAULT_REPLY_TEXT);
    expect(server.requests.map((request) => request.served.outputTokens)).toEqual([3, 2, CHUNKS.length]);
  });

  it('counts only what was written: deltas before a cut, nothing for an error or a cut JSON body', async () => {
    await using server = await createTestServer({
      script: [{ type: 'reset-after', chunks: 2 }, { type: 'status', status: 500 }, { type: 'malformed-json' }, { type: 'stall-after', chunks: 0 }],
    });
    const openai = openaiFor(server);
    await drain(await openai.chat.completions.create({ model: 'gpt-4o-mini', messages: USER_PROMPT, stream: true }));
    await openai.chat.completions.create({ model: 'gpt-4o-mini', messages: USER_PROMPT }).catch(() => undefined);
    await openai.chat.completions.create({ model: 'gpt-4o-mini', messages: USER_PROMPT }).catch(() => undefined);
    const controller = new AbortController();
    const stalled = openai.chat.completions.create({ model: 'gpt-4o-mini', messages: USER_PROMPT, stream: true }, { signal: controller.signal });
    await server.waitFor(() => server.hits === 4);
    const stream = await stalled;
    controller.abort();
    await drain(stream);
    const served = server.requests.map(({ served: { inputTokens, outputTokens } }) => [inputTokens, outputTokens]);
    // A stream that stalls before its first delta served nothing.
    expect(served).toEqual([[PROMPT_TOKENS, 2], [0, 0], [0, 0], [0, 0]]);
  });
});
