/**
 * Keel's headline configuration taken apart, on the CPU tier: each row adds one feature, so the
 * difference between neighbouring rows is that feature's marginal cost per call.
 */
import { createKeel, type Provider } from '@keel/core';
import { createOpenAIProvider } from '@keel/openai';
import { keelBudget, keelClient, keelOptions, keelOtel, keelPolicies, keelVariant, sdkClient, type Client, type Transport } from './keel-clients.js';
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
  const adapter = createOpenAIProvider({ client: sdkClient(transport) });
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
    keelPolicies(transport),
    keelBudget(transport),
    keelOtel(transport),
    keelVariant(transport, {}, 'keel', 'keel.chat, all of the above'),
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
