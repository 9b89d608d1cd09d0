/**
 * One replica of the service: `POST /ask` answers with the model's text, 402 when the shared
 * budget has no room, 503 when anything else fails. Every replica counts against the same
 * budget through Redis. Started by main.ts with REDIS_URL, MODEL_URL and BUDGET_TOKENS.
 */
import { createServer } from 'node:http';
import { createKeel, KeelError } from '@keel/core';
import { createOpenAIProvider } from '@keel/openai';
import { createRedisBudgetStore } from '@keel/redis';
import { Redis } from 'ioredis';
import OpenAI from 'openai';

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};

// maxRetriesPerRequest: null keeps a settle queued through a Redis restart instead of dropping it.
const redis = new Redis(env('REDIS_URL'), { maxRetriesPerRequest: null });
redis.on('error', () => {}); // reconnects by itself; the outage policy decides what calls see

const keel = createKeel({
  providers: [createOpenAIProvider({ client: new OpenAI({ apiKey: process.env.OPENAI_API_KEY || 'sk-loopback', baseURL: env('MODEL_URL') }) })],
  features: {
    ask: {
      models: [{ provider: 'openai', model: 'gpt-4o-mini' }],
      maxTokens: 30,
      budget: { limits: [{ scope: 'feature', unit: 'tokens', limit: Number(env('BUDGET_TOKENS')), window: 'day' }] },
    },
  },
  budgetStore: createRedisBudgetStore({ client: redis, prefix: env('BUDGET_PREFIX'), onOutage: 'fail-closed' }),
});

const server = createServer((req, res) => {
  let body = '';
  req.on('data', (chunk: Buffer) => (body += chunk.toString()));
  req.on('end', () => {
    const { question } = JSON.parse(body || '{}') as { question?: string };
    keel
      .chat({ feature: 'ask', messages: [{ role: 'user', content: question ?? 'Say hello.' }] })
      .then((result) => {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ text: result.text, replica: process.pid }));
      })
      .catch((error: unknown) => {
        const status = KeelError.is(error) && error.kind === 'budget_exceeded' ? 402 : 503;
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ error: KeelError.is(error) ? error.kind : 'unknown' }));
      });
  });
});

server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`listening ${typeof address === 'object' && address ? address.port : 0}\n`);
});

process.on('SIGTERM', () => {
  server.close();
  keel.close();
  redis.disconnect();
});
