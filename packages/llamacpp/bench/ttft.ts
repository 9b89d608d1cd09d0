/**
 * Keel's added time-to-first-token against a REAL llama-server: the same streamed request,
 * alternated, through the bare `openai` client and through `keel.stream` over @keel/llamacpp.
 * TTFT on a local server is prefill (the server's `prompt_ms`) plus transport; the difference
 * between the two columns is what Keel adds (validation, admission, budgets, the slot gate).
 *
 *   pnpm --filter @keel/llamacpp bench:ttft            (KEEL_BENCH_ROUNDS, default 40)
 *
 * Needs KEEL_LLAMA_SERVER (or the build cache) and KEEL_TEST_MODEL (or ../shared/models).
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import OpenAI from 'openai';
import { createKeel } from '@keel/core';
import { createLlamaCppProvider, findLlamaServer, startLlamaServer, type LlamaTimings } from '../src/index.js';

const ROUNDS = Number(process.env['KEEL_BENCH_ROUNDS'] ?? 40);
const MAX_TOKENS = 8;

function findModel(): string {
  const fromEnv = process.env['KEEL_TEST_MODEL'];
  if (fromEnv) return fromEnv;
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
  for (let dir = dirname(root); dirname(dir) !== dir; dir = dirname(dir)) {
    const candidate = join(dir, 'shared', 'models', 'stories260K.gguf');
    if (existsSync(candidate)) return candidate;
  }
  throw new Error('no model: set KEEL_TEST_MODEL');
}

const quantile = (values: number[], q: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
};

const binary = findLlamaServer();
if (!binary) throw new Error('no llama-server: set KEEL_LLAMA_SERVER or run scripts/build-llama-server.sh');
await using server = await startLlamaServer({ binary, model: findModel(), parallel: 1, ctxSize: 1024, chatTemplate: 'chatml' });

const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'no-key', maxRetries: 0 });
const timings: LlamaTimings[] = [];
const keel = createKeel({
  providers: [createLlamaCppProvider({ baseURL: server.url, onTimings: (t) => timings.push(t) })],
  features: { bench: { models: [{ provider: 'llamacpp', model: 'stories260K' }], maxTokens: MAX_TOKENS, temperature: 0 } },
});
// The same prompt each round with the prompt cache off, so every request prefills the same tokens.
const messages = [{ role: 'user' as const, content: 'Once upon a time there was a little girl who liked to play in the park with her dog.' }];
const extra = { cache_prompt: false };

async function bare(): Promise<number> {
  const start = performance.now();
  const stream = await client.chat.completions.create({ model: 'stories260K', messages, max_tokens: MAX_TOKENS, temperature: 0, stream: true, ...extra } as OpenAI.ChatCompletionCreateParamsStreaming);
  let first: number | undefined;
  for await (const chunk of stream) if (first === undefined && chunk.choices[0]?.delta?.content) first = performance.now() - start;
  return first ?? Number.NaN;
}

async function viaKeel(): Promise<number> {
  const start = performance.now();
  let first: number | undefined;
  for await (const event of keel.stream({ feature: 'bench', messages, extra })) if (first === undefined && event.type === 'text') first = performance.now() - start;
  return first ?? Number.NaN;
}

for (let i = 0; i < 5; i++) {
  // Warm-up: JIT, the connection pool, the server's first decode.
  await bare();
  await viaKeel();
}
timings.length = 0;
const bareTtft: number[] = [];
const keelTtft: number[] = [];
for (let i = 0; i < ROUNDS; i++) {
  // Alternate the order so that neither side always runs on a warmer server.
  if (i % 2 === 0) {
    bareTtft.push(await bare());
    keelTtft.push(await viaKeel());
  } else {
    keelTtft.push(await viaKeel());
    bareTtft.push(await bare());
  }
}
keel.close();

const prefill = timings.map((t) => t.promptMs);
const row = (name: string, values: number[]) => `| ${name} | ${quantile(values, 0.5).toFixed(2)} | ${quantile(values, 0.9).toFixed(2)} |`;
console.log(`llama-server TTFT, ${ROUNDS} rounds each, ${timings[0]?.promptN ?? '?'} prompt tokens, CPU (ms)\n`);
console.log('| path | p50 | p90 |\n|---|---|---|');
console.log(row('server prefill (`timings.prompt_ms`)', prefill));
console.log(row('bare `openai` client', bareTtft));
console.log(row('`keel.stream` over @keel/llamacpp', keelTtft));
console.log(`\nKeel adds ${(quantile(keelTtft, 0.5) - quantile(bareTtft, 0.5)).toFixed(2)} ms at p50, ${(quantile(keelTtft, 0.9) - quantile(bareTtft, 0.9)).toFixed(2)} ms at p90.`);
