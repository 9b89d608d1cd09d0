/**
 * Keel quick start: a small HTTP service whose handler calls a model through Keel, driven
 * against the testkit's loopback OpenAI server with a fault script. No API key, no network.
 *
 *   pnpm install && pnpm demo
 */
import OpenAI from 'openai';
import { createKeel, type AttemptRecord, type KeelEvent } from '@keel/core';
import { createOpenAIProvider } from '@keel/openai';
import { createTestServer, type Fault } from '@keel/testkit';
import { startService } from './service.js';

const provider = await createTestServer();
// The real `openai` client, pointed at the loopback server. Keel turns its own retries off.
const client = new OpenAI({ apiKey: 'sk-demo-not-a-real-key', baseURL: `${provider.url}/v1` });

const keel = createKeel({
  providers: [createOpenAIProvider({ client })],
  features: {
    support: {
      models: [{ provider: 'openai', model: 'gpt-4o-mini' }],
      retry: { maxAttempts: 3, baseDelayMs: 100 },
      timeouts: { totalMs: 10_000, firstTokenMs: 2_000, idleMs: 1_000 },
    },
    // A second feature on its own model, so its breaker is its own (one per provider+model).
    reports: {
      models: [{ provider: 'openai', model: 'gpt-4o' }],
      retry: { maxAttempts: 1 },
    },
  },
  defaults: { breaker: { minimumAttempts: 3, failureRatio: 0.7, halfOpenAfterMs: 800 } },
});

const log: string[] = [];
keel.on((event: KeelEvent) => {
  if (event.type === 'breaker.opened') log.push('breaker opened');
  if (event.type === 'breaker.half_open') log.push('breaker half-open: one probe allowed');
  if (event.type === 'breaker.closed') log.push('breaker closed');
});

const service = await startService(keel);
const say = (line: string) => console.log(line);
const describeAttempts = (attempts: readonly AttemptRecord[]) =>
  attempts
    .map((a) => `    attempt ${a.attempt}: ${a.outcome}${a.status ? ` (${a.status})` : ''}${a.waitMs !== undefined ? `, then waited ${a.waitMs} ms` : ''}`)
    .join('\n');

async function scenario(title: string, faults: Fault[], path: string, calls = 1): Promise<void> {
  provider.script(faults);
  const hitsBefore = provider.hits;
  say(`\n▶ ${title}`);
  for (let i = 1; i < calls; i++) {
    const response = await fetch(`${service.url}${path}`);
    say(`  call ${i}: HTTP ${response.status} ${((await response.json()) as { kind?: string }).kind ?? ''}`);
  }
  const response = await fetch(`${service.url}${path}`);
  const body = await response.text();
  say(`  service answered HTTP ${response.status}; the model server saw ${provider.hits - hitsBefore} request(s)`);
  try {
    const json = JSON.parse(body) as { answer?: string; attempts?: AttemptRecord[]; kind?: string; message?: string };
    if (json.attempts) say(describeAttempts(json.attempts));
    say(json.answer !== undefined ? `  answer: ${json.answer}` : `  error: ${json.kind} — ${json.message}`);
  } catch {
    say(`  streamed: ${body.replace(/\n/g, ' ')}`);
  }
  while (log.length) say(`  • ${log.shift()}`);
}

say(`Keel quick start — model server (testkit) at ${provider.url}, service at ${service.url}`);

await scenario('A healthy call', [], '/answer');
await scenario('429 with retry-after-ms: 300 — Keel waits exactly what the server asked', [
  { type: 'status', status: 429, headers: { 'retry-after-ms': '300' } },
], '/answer');
await scenario('503, then 500, then success — full-jitter backoff between attempts', [
  { type: 'status', status: 503 },
  { type: 'status', status: 500 },
], '/answer');
await scenario('A 401 is not retried (and the key never shows up in the error)', [{ type: 'status', status: 401 }], '/answer');
await scenario('Feature "reports": three calls fail with 500 — its breaker opens', [
  { type: 'status', status: 500 },
  { type: 'status', status: 500 },
  { type: 'status', status: 500 },
], '/answer?feature=reports', 3);
await scenario('While open, the breaker fails fast and sends nothing', [], '/answer?feature=reports');
await new Promise((resolve) => setTimeout(resolve, 900));
await scenario('After the cool-down one probe goes through and closes the breaker', [], '/answer?feature=reports');
await scenario('A stream whose connection resets before the first token — retried invisibly', [{ type: 'reset' }], '/answer/stream');
await scenario('A stream cut after its third chunk — a typed error, never a short "success"', [{ type: 'reset-after', chunks: 3 }], '/answer/stream');
await scenario('A stream that stalls after two chunks — the idle timeout ends it', [{ type: 'stall-after', chunks: 2 }], '/answer/stream');

await service.close();
await provider.close();
keel.close();
say('\nDone. Every fault above was real HTTP against the real openai client.');
