/**
 * Keel's headline configuration taken apart, on the CPU tier: each row adds one feature, so the
 * difference between neighbouring rows is that feature's marginal cost per call.
 */
import OpenAI from 'openai';
import { createKeel, type Provider } from '@keel/core';
import { createOpenAIProvider } from '@keel/openai';
import { keelClient, keelOptions, type Client, type Transport } from './keel-clients.js';
import { MAX_TOKENS, MODEL, replyText } from './fixtures.js';

/** A Provider that answers at once with no SDK under it: what Keel's pipeline costs alone. */
const instantProvider: Provider = {
  id: 'instant',
  chat: async (request) => ({ text: replyText(), finishReason: 'stop', usage: { inputTokens: 31, outputTokens: 10 }, model: request.model }),
  async *stream() {
    yield { type: 'text', text: replyText() };
    yield { type: 'finish', finishReason: 'stop' };
  },
};

export function keelFeatureClients(transport: Transport): Client[] {
  const provider = () => createOpenAIProvider({ client: new OpenAI({ apiKey: 'sk-bench', baseURL: transport.baseURL, fetch: transport.fetch }) });
  const adapter = provider();
  return [
    {
      id: 'adapter',
      label: '@keel/openai Provider, no pipeline',
      chat: async (messages) =>
        (
          await adapter.chat(
            { model: MODEL, messages, maxTokens: MAX_TOKENS },
            { signal: new AbortController().signal, deadline: Date.now() + 30_000, attempt: 1 },
          )
        ).text,
      stream: () => Promise.reject(new Error('not measured')),
      close() {},
    },
    keelClient(createKeel(keelOptions(provider(), { budget: false, telemetry: false })), 'keel-policies', 'keel.chat: retry, breaker, timeouts'),
    keelClient(createKeel(keelOptions(provider(), { budget: true, telemetry: false })), 'keel-budget', '… + feature token budget'),
    keelClient(createKeel(keelOptions(provider(), { budget: false, telemetry: true })), 'keel-otel', '… + OTel (no budget)'),
    keelClient(createKeel(keelOptions(provider())), 'keel', 'keel.chat, all of the above'),
    keelClient(createKeel(keelOptions(instantProvider)), 'pipeline', 'Keel pipeline alone (no SDK)'),
    // Keel's own work, feature by feature, with no SDK under it (the neighbouring rows differ by one).
    keelClient(createKeel(keelOptions(instantProvider, { budget: false, telemetry: false })), 'pipeline-policies', 'pipeline alone: retry, breaker, timeouts'),
    keelClient(
      createKeel({ ...keelOptions(instantProvider, { budget: false, telemetry: false }), onEvent: () => undefined }),
      'pipeline-events',
      'pipeline alone: … + an event listener (does nothing)',
    ),
  ];
}
