/**
 * Local model first, hosted model when a quality gate fails.
 *
 * A real llama-server (the tiny stories260K model, CPU) answers every request first. Each answer
 * goes through a quality gate; an answer that fails it is escalated to a hosted model — here the
 * testkit's loopback server speaking the OpenAI wire format, so the example needs no key and no
 * network. The example checks its own claims and exits 1 when one does not hold.
 *
 *   pnpm --filter @keel/example-local-llamacpp start
 *
 * Needs the llama-server binary (KEEL_LLAMA_SERVER, or `bash scripts/build-llama-server.sh`) and
 * the model (KEEL_TEST_MODEL, or shared/models/stories260K.gguf next to the repo).
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import OpenAI from 'openai';
import { createKeel } from '@keel/core';
import { createLlamaCppProvider, findLlamaServer, startLlamaServer, type LlamaTimings } from '@keel/llamacpp';
import { createOpenAIProvider } from '@keel/openai';
import { createTestServer } from '@keel/testkit';

interface Task {
  readonly name: string;
  readonly prompt: string;
  readonly maxTokens: number;
  /** JSON Schema the local server enforces with a grammar, when the task wants structure. */
  readonly schema?: Record<string, unknown>;
  /** The quality gate: does this answer do the job? */
  readonly gate: (text: string) => boolean;
  /** What the hosted model answers (the loopback stand-in for a stronger model). */
  readonly hostedAnswer: string;
}

const TASKS: readonly Task[] = [
  {
    name: 'continue a story',
    prompt: 'Once upon a time there was a little cat.',
    maxTokens: 32,
    gate: (text) => text.trim().split(/\s+/).length >= 3,
    hostedAnswer: 'The cat found a warm spot in the sun and fell asleep.',
  },
  {
    name: 'answer a sum',
    prompt: 'What is 2 + 2? Answer in JSON.',
    maxTokens: 64,
    schema: { type: 'object', properties: { answer: { enum: ['3', '4', '5'] } }, required: ['answer'], additionalProperties: false },
    gate: (text) => {
      try {
        return (JSON.parse(text) as { answer?: unknown }).answer === '4';
      } catch {
        return false;
      }
    },
    hostedAnswer: '{"answer":"4"}',
  },
];

function findModel(): string | undefined {
  const fromEnv = process.env['KEEL_TEST_MODEL'];
  if (fromEnv) return existsSync(fromEnv) ? fromEnv : undefined;
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
  for (let dir = dirname(root); dirname(dir) !== dir; dir = dirname(dir)) {
    const candidate = join(dir, 'shared', 'models', 'stories260K.gguf');
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

async function main(): Promise<number> {
  const binary = findLlamaServer();
  const model = findModel();
  if (!binary || !model) {
    console.error(`✗ needs ${binary ? '' : 'the llama-server binary (KEEL_LLAMA_SERVER or scripts/build-llama-server.sh) '}${model ? '' : 'the model (KEEL_TEST_MODEL)'}`);
    return 1;
  }
  await using local = await startLlamaServer({ binary, model, parallel: 2, ctxSize: 1024, chatTemplate: 'chatml' });
  const hostedAnswers = new Map(TASKS.map((task) => [task.prompt, task.hostedAnswer]));
  await using hosted = await createTestServer({
    reply: (request) => {
      const messages = (request.body as { messages?: { content?: string }[] }).messages ?? [];
      return hostedAnswers.get(messages.at(-1)?.content ?? '') ?? 'I do not know.';
    },
  });

  const timings: LlamaTimings[] = [];
  const keel = createKeel({
    providers: [
      createLlamaCppProvider({ baseURL: local.url, onTimings: (t) => timings.push(t) }),
      createOpenAIProvider({ client: new OpenAI({ apiKey: 'sk-loopback', baseURL: `${hosted.url}/v1` }), id: 'hosted' }),
    ],
    features: {
      local: { models: [{ provider: 'llamacpp', model: 'stories260K' }], temperature: 0, retry: { maxAttempts: 2 } },
      hosted: { models: [{ provider: 'hosted', model: 'gpt-4o-mini' }] },
    },
  });

  const claims: string[] = [];
  const claim = (ok: boolean, what: string) => {
    console.log(`${ok ? '✓' : '✗'} ${what}`);
    if (!ok) claims.push(what);
  };

  let escalated = 0;
  let servedLocally = 0;
  for (const task of TASKS) {
    const messages = [{ role: 'user' as const, content: task.prompt }];
    const extra = task.schema ? { json_schema: task.schema } : undefined;
    const first = await keel.chat({ feature: 'local', messages, maxTokens: task.maxTokens, ...(extra ? { extra } : {}) });
    let answer = first;
    if (task.gate(first.text)) {
      servedLocally += 1;
      console.log(`  ${task.name}: local model passed the gate (${first.usage.inputTokens} in, ${first.usage.outputTokens} out)`);
    } else {
      escalated += 1;
      answer = await keel.chat({ feature: 'hosted', messages, maxTokens: task.maxTokens });
      console.log(`  ${task.name}: local answer failed the gate, escalated to ${answer.provider}/${answer.model}`);
    }
    claim(task.gate(answer.text), `${task.name}: the final answer passes its gate`);
  }
  keel.close();

  const last = timings.at(-1);
  if (last) console.log(`  local timings: prefill ${last.promptN} tokens in ${last.promptMs.toFixed(2)} ms, decode ${last.predictedPerSecond.toFixed(0)} tokens/s`);
  claim(timings.length === TASKS.length, `the local server answered every task first (${timings.length}/${TASKS.length}, with timings)`);
  claim(servedLocally >= 1, `the local model served at least one task on its own (${servedLocally})`);
  claim(hosted.requests.length === escalated, `the hosted model saw exactly the escalated tasks (${hosted.requests.length} = ${escalated})`);

  if (claims.length > 0) {
    console.error(`${claims.length} claim(s) did not hold:\n${claims.map((c) => `  - ${c}`).join('\n')}`);
    return 1;
  }
  console.log('all claims hold');
  return 0;
}

process.exitCode = await main();
