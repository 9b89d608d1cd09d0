/**
 * One replica of a service for the multi-process tests: its own Keel, its own ioredis client,
 * the real openai SDK against the parent's testkit server, one budget shared through Redis.
 * Prints `ready`, waits for a line on stdin, fires CALLS concurrent calls, prints one JSON line
 * with the outcome of each, and exits.
 */
import { createKeel, KeelError } from '@keel/core';
import { createOpenAIProvider } from '@keel/openai';
import { createRedisBudgetStore } from '@keel/redis';
import { Redis } from 'ioredis';
import OpenAI from 'openai';

const env = (name: string) => {
  const value = process.env[name];
  if (value === undefined) throw new Error(`${name} is not set`);
  return value;
};

// Commands wait through a Redis restart (queued, resent on reconnect) rather than fail: a
// settle that fails would leave its spend to expire uncounted.
const client = new Redis(Number(env('REDIS_PORT')), '127.0.0.1', { maxRetriesPerRequest: null, retryStrategy: (times) => Math.min(times * 20, 200) });
// Connection errors during a restart are expected; ioredis reconnects and resends by itself.
client.on('error', () => {});
const keel = createKeel({
  providers: [createOpenAIProvider({ client: new OpenAI({ apiKey: 'sk-test', baseURL: `${env('PROVIDER_URL')}/v1` }) })],
  features: {
    chat: {
      models: [{ provider: 'openai', model: 'gpt-4o-mini' }],
      maxTokens: 20,
      retry: { maxAttempts: 1 },
      budget: { limits: [{ scope: 'feature', unit: 'tokens', limit: Number(env('LIMIT')), window: 'day' }] },
    },
  },
  defaults: { breaker: { minimumAttempts: 100_000, consecutiveFailures: 100_000 } },
  // A generous timeout: a saturated machine must not turn a slow reply into an outage.
  budgetStore: createRedisBudgetStore({ client, prefix: env('PREFIX'), outageTimeoutMs: 60_000 }),
});

process.stdout.write('ready\n');
await new Promise<void>((resolve) => process.stdin.once('data', () => resolve()));

const outcomes = await Promise.all(
  Array.from({ length: Number(env('CALLS')) }, async (_, i) => {
    try {
      await keel.chat({ feature: 'chat', messages: [{ role: 'user', content: `Call ${process.pid}-${i}: tell me about foxes.` }] });
      return 'ok';
    } catch (error) {
      return KeelError.is(error) ? error.kind : 'unknown';
    }
  }),
);
const counts: Record<string, number> = {};
for (const outcome of outcomes) counts[outcome] = (counts[outcome] ?? 0) + 1;
process.stdout.write(`${JSON.stringify(counts)}\n`);
keel.close();
client.disconnect();
process.stdin.destroy();
