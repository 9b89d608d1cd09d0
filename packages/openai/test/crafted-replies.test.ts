import { describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { REQUEST, callContext, collect, failure } from './support.js';
import { createOpenAIProvider } from '../src/index.js';

// Replies the testkit cannot script (refusals, tool calls, a non-JSON 200) answer through the
// client's own `fetch` option: the whole SDK still runs (parsing, SSE decoding), only the
// socket is skipped.

const REFUSAL = "I'm sorry, I can't help with that.";

const chunk = (delta: object, finish: string | null = null): string =>
  `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 0, model: 'gpt-4o', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;

function clientAnswering(body: string, contentType: string): OpenAI {
  return new OpenAI({
    apiKey: 'sk-canary-refusal-0000000000',
    baseURL: 'http://refusal.invalid/v1',
    fetch: async () => new Response(body, { status: 200, headers: { 'content-type': contentType } }),
  });
}

describe('crafted replies', () => {
  it('chat: message.refusal becomes a refusal KeelError without the refusal text', async () => {
    const completion = {
      id: 'chatcmpl-1',
      object: 'chat.completion',
      created: 0,
      model: 'gpt-4o',
      choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content: null, refusal: REFUSAL } }],
      usage: { prompt_tokens: 5, completion_tokens: 9, total_tokens: 14 },
    };
    const provider = createOpenAIProvider({ client: clientAnswering(JSON.stringify(completion), 'application/json') });
    const error = await failure(() => provider.chat(REQUEST, callContext()));
    expect(error.kind).toBe('refusal');
    expect(error.retryable).toBe(false);
    expect(error.message).not.toContain(REFUSAL);
  });

  it('stream: a refusal delta becomes a refusal KeelError', async () => {
    const sse = chunk({ role: 'assistant', content: null, refusal: '' }) + chunk({ refusal: REFUSAL }) + chunk({}, 'stop') + 'data: [DONE]\n\n';
    const provider = createOpenAIProvider({ client: clientAnswering(sse, 'text/event-stream') });
    const error = await failure(() => collect(provider.stream(REQUEST, callContext())));
    expect(error.kind).toBe('refusal');
  });

  it('chat: a 200 that is not a chat completion is a retryable server error', async () => {
    const provider = createOpenAIProvider({ client: clientAnswering('<html>captive portal</html>', 'text/html') });
    const error = await failure(() => provider.chat(REQUEST, callContext()));
    expect(error.kind).toBe('server');
    expect(error.retryable).toBe(true);
  });

  it('stream: tool-call deltas mark their raw chunk as content and finish as tool_calls', async () => {
    const call = { index: 0, id: 'call_1', type: 'function', function: { name: 'lookup', arguments: '' } };
    const sse =
      chunk({ role: 'assistant', content: null }) +
      chunk({ tool_calls: [call] }) +
      chunk({ tool_calls: [{ index: 0, function: { arguments: '{"q":1}' } }] }) +
      chunk({}, 'tool_calls') +
      'data: [DONE]\n\n';
    const provider = createOpenAIProvider({ client: clientAnswering(sse, 'text/event-stream') });
    const parts = await collect(provider.stream({ ...REQUEST, includeRaw: true }, callContext()));
    const flags = parts.flatMap((part) => (part.type === 'raw' ? [part.content] : []));
    expect(flags).toEqual([false, true, true, false]);
    expect(parts.filter((part) => part.type === 'text')).toEqual([]);
    // The finish part comes before the raw chunk it came from.
    expect(parts.at(-2)).toEqual({ type: 'finish', finishReason: 'tool_calls', model: 'gpt-4o' });
    expect(parts.at(-1)).toMatchObject({ type: 'raw', content: false });
  });
});
