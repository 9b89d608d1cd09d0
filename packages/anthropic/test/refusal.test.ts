import { describe, expect, it } from 'vitest';
import Anthropic from '@anthropic-ai/sdk';
import { REQUEST, callContext, collect, failure } from './support.js';
import { createAnthropicProvider } from '../src/index.js';

// The testkit sends no `stop_details`, so these answer through the client's own `fetch` option:
// the whole SDK still runs (parsing, SSE decoding), only the socket is skipped.

const EXPLANATION = 'This request could enable cyber harm.';
const STOP_DETAILS = { type: 'refusal', category: 'cyber', explanation: EXPLANATION };

function clientAnswering(body: string, contentType: string): Anthropic {
  return new Anthropic({
    apiKey: 'sk-ant-canary-refusal-0000000000',
    baseURL: 'http://refusal.invalid',
    fetch: async () => new Response(body, { status: 200, headers: { 'content-type': contentType } }),
  });
}

describe('refusal', () => {
  it('chat: stop_reason refusal names the category, not the explanation or text', async () => {
    const message = {
      id: 'msg_1',
      type: 'message',
      role: 'assistant',
      model: 'claude-sonnet-4-6',
      content: [{ type: 'text', text: 'I will not help with that.' }],
      stop_reason: 'refusal',
      stop_details: STOP_DETAILS,
      stop_sequence: null,
      usage: { input_tokens: 5, output_tokens: 9 },
    };
    const provider = createAnthropicProvider({ client: clientAnswering(JSON.stringify(message), 'application/json') });
    const error = await failure(() => provider.chat(REQUEST, callContext()));
    expect(error.kind).toBe('refusal');
    expect(error.retryable).toBe(false);
    expect(error.message).toBe('Anthropic refusal (cyber): the model declined to answer');
    expect(error.message).not.toContain(EXPLANATION);
  });

  it('stream: a refusal in message_delta becomes a refusal KeelError', async () => {
    const frame = (data: object) => `event: ${(data as { type: string }).type}\ndata: ${JSON.stringify(data)}\n\n`;
    const sse = [
      frame({
        type: 'message_start',
        message: { id: 'msg_1', type: 'message', role: 'assistant', model: 'claude-sonnet-4-6', content: [], stop_reason: null, usage: { input_tokens: 5, output_tokens: 1 } },
      }),
      frame({ type: 'message_delta', delta: { stop_reason: 'refusal', stop_details: STOP_DETAILS, stop_sequence: null }, usage: { output_tokens: 1 } }),
      frame({ type: 'message_stop' }),
    ].join('');
    const provider = createAnthropicProvider({ client: clientAnswering(sse, 'text/event-stream') });
    const error = await failure(() => collect(provider.stream(REQUEST, callContext())));
    expect(error.kind).toBe('refusal');
    expect(error.message).toContain('(cyber)');
  });

  it('chat: a 200 that is not a Message is a retryable server error', async () => {
    const provider = createAnthropicProvider({ client: clientAnswering('<html>captive portal</html>', 'text/html') });
    const error = await failure(() => provider.chat(REQUEST, callContext()));
    expect(error.kind).toBe('server');
    expect(error.retryable).toBe(true);
  });
});
