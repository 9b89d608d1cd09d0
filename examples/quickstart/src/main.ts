/**
 * Keel quick start: a small HTTP service whose handler calls a model through Keel, driven
 * against the testkit's loopback OpenAI server with a fault script. No API key, no network.
 *
 *   pnpm install && pnpm demo
 */
import OpenAI from 'openai';
import { createKeel, type AttemptRecord, type KeelEvent } from '@keel/core';
import { createOpenAIProvider } from '@keel/openai';
import { createDemoClaims, createTestServer, sabotaged, type Fault } from '@keel/testkit';

const { check: claim, exitOnBroken: exitOnBrokenClaims } = createDemoClaims();
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
  defaults: { breaker: { minimumAttempts: 3, failureRatio: 0.7, halfOpenAfterMs: 2_000 } },
});

const log: string[] = [];
// Resolved when the breaker admits its probe: the demo waits for that event, not for a guess at
// how long the cool-down takes on this machine.
let halfOpened: () => void = () => undefined;
const halfOpen = new Promise<void>((resolve) => (halfOpened = resolve));
keel.on((event: KeelEvent) => {
  if (event.type === 'breaker.opened') log.push('breaker opened');
  if (event.type === 'breaker.half_open') {
    log.push('breaker half-open: one probe allowed');
    halfOpened();
  }
  if (event.type === 'breaker.closed') log.push('breaker closed');
});

const service = await startService(keel);
const say = (line: string) => console.log(line);
const describeAttempts = (attempts: readonly AttemptRecord[]) =>
  attempts
    .map((a) => `    attempt ${a.attempt}: ${a.outcome}${a.status ? ` (${a.status})` : ''}${a.waitMs !== undefined ? `, then waited ${a.waitMs} ms` : ''}`)
    .join('\n');

/** What one scenario's last service call came back with: the claims are checked against it. */
interface Observed {
  readonly status: number;
  /** Requests the model server saw during the scenario. */
  readonly hits: number;
  readonly answer?: string;
  readonly kind?: string;
  readonly attempts: readonly AttemptRecord[];
  /** A streamed reply's body, as the service's client read it. */
  readonly streamed?: string;
  /** Breaker transitions seen during the scenario. */
  readonly breaker: readonly string[];
}

async function scenario(step: string, title: string, faults: Fault[], path: string, check: (seen: Observed) => void, calls = 1): Promise<void> {
  provider.script(sabotaged(step) ? [] : faults);
  const hitsBefore = provider.hits;
  say(`\n▶ ${title}`);
  for (let i = 1; i < calls; i++) {
    const response = await fetch(`${service.url}${path}`);
    say(`  call ${i}: HTTP ${response.status} ${((await response.json()) as { kind?: string }).kind ?? ''}`);
  }
  const response = await fetch(`${service.url}${path}`);
  const body = await response.text();
  const hits = provider.hits - hitsBefore;
  say(`  service answered HTTP ${response.status}; the model server saw ${hits} request(s)`);
  let seen: Observed;
  try {
    const json = JSON.parse(body) as { answer?: string; attempts?: AttemptRecord[]; kind?: string; message?: string };
    if (json.attempts) say(describeAttempts(json.attempts));
    say(json.answer !== undefined ? `  answer: ${json.answer}` : `  error: ${json.kind} — ${json.message}`);
    seen = { status: response.status, hits, answer: json.answer, kind: json.kind, attempts: json.attempts ?? [], breaker: [...log] };
  } catch {
    say(`  streamed: ${body.replace(/\n/g, ' ')}`);
    seen = { status: response.status, hits, streamed: body, attempts: [], breaker: [...log] };
  }
  while (log.length) say(`  • ${log.shift()}`);
  check(seen);
}

const outcomes = (seen: Observed) => seen.attempts.map((a) => a.outcome).join(',');

say(`Keel quick start — model server (testkit) at ${provider.url}, service at ${service.url}`);

await scenario('healthy', 'A healthy call', [], '/answer', (seen) => {
  claim('healthy', seen.status === 200 && seen.hits === 1, 'a healthy call answers 200 with one request');
});
await scenario('retry-after', '429 with retry-after-ms: 300 — Keel waits exactly what the server asked', [
  { type: 'status', status: 429, headers: { 'retry-after-ms': '300' } },
], '/answer', (seen) => {
  claim('retry-after', seen.status === 200 && seen.attempts[0]?.outcome === 'rate_limited' && seen.attempts[0].waitMs === 300, 'the 429 was retried after exactly 300 ms');
});
await scenario('backoff', '503, then 500, then success — full-jitter backoff between attempts', [
  { type: 'status', status: 503 },
  { type: 'status', status: 500 },
], '/answer', (seen) => {
  claim('backoff', seen.status === 200 && outcomes(seen) === 'overloaded,server,ok', 'two failures were retried, the third attempt answered');
});
await scenario('auth', 'A 401 is not retried (and the key never shows up in the error)', [{ type: 'status', status: 401 }], '/answer', (seen) => {
  claim('auth', seen.kind === 'auth' && seen.hits === 1, 'the 401 ended the call as `auth` after one request');
  claim('auth', seen.status === 502, "the service answers 502: the upstream rejected this service's key");
});
await scenario('breaker-opens', 'Feature "reports": three calls fail with 500 — its breaker opens', [
  { type: 'status', status: 500 },
  { type: 'status', status: 500 },
  { type: 'status', status: 500 },
], '/answer?feature=reports', (seen) => {
  claim('breaker-opens', seen.breaker.includes('breaker opened'), 'the breaker opened');
}, 3);
await scenario('breaker-open', 'While open, the breaker fails fast and sends nothing', [], '/answer?feature=reports', (seen) => {
  claim('breaker-open', seen.kind === 'circuit_open' && seen.hits === 0 && seen.status === 503, 'an open breaker answers circuit_open (503) and sends nothing');
});
// The cool-down (halfOpenAfterMs: 2 s) is real time here — a demo shows real behaviour; tests
// use the fake clock. Wait for the breaker to say it admits a probe.
await halfOpen;
await scenario('breaker-closes', 'After the cool-down one probe goes through and closes the breaker', [], '/answer?feature=reports', (seen) => {
  claim('breaker-closes', seen.status === 200 && seen.breaker.includes('breaker closed'), 'the probe answered and closed the breaker');
});
await scenario('stream-retried', 'A stream whose connection resets before the first token — retried invisibly', [{ type: 'reset' }], '/answer/stream', (seen) => {
  claim('stream-retried', seen.hits === 2 && (seen.streamed ?? '').includes('[done after 2 attempt(s)]'), 'the reset stream was retried and completed');
});
await scenario('stream-cut', 'A stream cut after its third chunk — a typed error, never a short "success"', [{ type: 'reset-after', chunks: 3 }], '/answer/stream', (seen) => {
  const streamed = seen.streamed ?? '';
  claim('stream-cut', streamed.includes('[stream failed: connection]') && !streamed.includes('[done'), 'the cut stream ended with a typed connection error, not a success');
});
await scenario('stream-stall', 'A stream that stalls after two chunks — the idle timeout ends it', [{ type: 'stall-after', chunks: 2 }], '/answer/stream', (seen) => {
  claim('stream-stall', (seen.streamed ?? '').includes('[stream failed: timeout]'), 'the stalled stream ended with a typed timeout');
});

await service.close();
await provider.close();
keel.close();
say('\nDone. Every fault above was real HTTP against the real openai client.');
exitOnBrokenClaims();
