/**
 * Keel drop-in example: an existing OpenAI service (src/before.ts) made reliable by changing
 * one line (src/after.ts). Runs against the testkit's loopback OpenAI server with scripted
 * faults: no API key, no network.
 *
 *   pnpm install && pnpm --filter @keel/example-wrap-existing-client start
 */
import { KeelError, type KeelEvent } from '@keel/core';
import { createDemoClaims, createTestServer, sabotaged, type Fault } from '@keel/testkit';

const server = await createTestServer();
// Both service modules build `new OpenAI()`, which reads these two variables.
process.env['OPENAI_BASE_URL'] = `${server.url}/v1`;
process.env['OPENAI_API_KEY'] = 'sk-demo-not-a-real-key';
const before = await import('./before.js');
const after = await import('./after.js');

const say = (line: string) => console.log(line);
const log: string[] = [];
after.openai.keel.on((event: KeelEvent) => {
  if (event.type === 'attempt.failed') log.push(`attempt ${event.attempt}: ${event.kind}${event.status ? ` (${event.status})` : ''}`);
  if (event.type === 'retry.scheduled') log.push(`  → retry in ${event.delayMs} ms (${event.reason === 'server' ? 'as the server asked' : 'backoff'})`);
  if (event.type === 'attempt.succeeded') log.push(`attempt ${event.attempt}: ok`);
});

/**
 * What a step claims: it is absorbed (the service gets an answer) or it throws a KeelError of
 * `kind`, after `hits` requests reached the model server. A claim that does not hold is printed
 * and makes the example exit non-zero — a fault is never shown as a success.
 */
type Claim = { readonly outcome: 'answered' | KeelError['kind']; readonly hits: number };
const claims = createDemoClaims();

/**
 * Runs one service call under a fault script; prints Keel's attempts, then what the service got,
 * then checks the claim. `KEEL_DEMO_BREAK=<step>` plays that step without its faults, so the
 * example's test can prove a broken claim fails the run.
 */
async function scenario(step: string, title: string, faults: Fault[], run: () => Promise<string>, expected: Claim): Promise<void> {
  server.script(sabotaged(step) ? [] : faults);
  log.length = 0;
  const hitsBefore = server.hits;
  let outcome: string;
  let seen: Claim['outcome'] = 'answered';
  try {
    outcome = await run();
  } catch (error) {
    if (!KeelError.is(error)) throw error;
    seen = error.kind;
    const partial = error.partialText !== undefined ? ` after ${JSON.stringify(error.partialText)}` : '';
    outcome = `threw KeelError ${error.kind}${partial} (retryable: ${error.retryable}): ${error.message}`;
  }
  const hits = server.hits - hitsBefore;
  say(`\n▶ ${title}`);
  for (const line of log) say(`    keel: ${line}`);
  say(`  ${outcome}`);
  say(`  the model server saw ${hits} request(s)`);
  if (seen !== expected.outcome || hits !== expected.hits) {
    const line = `${step}: expected ${expected.outcome} after ${expected.hits} request(s), got ${seen} after ${hits}`;
    claims.broken(line);
  }
}

say(`Keel drop-in example — OpenAI-compatible test server at ${server.url}`);

await scenario('same-call', 'The same call, before and after wrapping', [], async () => {
  const [plain, wrapped] = [await before.answerTicket('Where is my order?'), await after.answerTicket('Where is my order?')];
  return `before: ${plain}\n  after:  ${wrapped}`;
}, { outcome: 'answered', hits: 2 });

await scenario('absorbed', 'A scripted 429 (retry-after-ms: 200), then a 500', [
  { type: 'status', status: 429, headers: { 'retry-after-ms': '200' } },
  { type: 'status', status: 500 },
], async () => {
  const answer = await after.answerTicket('Where is my order?');
  return `absorbed: the 429 and the 500 never reached the service, which got: ${answer}`;
}, { outcome: 'answered', hits: 3 });

await scenario('stream-retried', 'A stream whose connection resets before the first token', [{ type: 'reset' }], async () => {
  let text = '';
  await after.streamTicket('Where is my order?', (delta) => (text += delta));
  return `absorbed: retried invisibly; streamed: ${text}`;
}, { outcome: 'answered', hits: 2 });

await scenario('stream-cut', 'A stream cut after its third chunk: a typed error, never a short "success"', [
  { type: 'reset-after', chunks: 3 },
], async () => {
  await after.streamTicket('Where is my order?', () => undefined);
  return 'completed (not expected)';
}, { outcome: 'connection', hits: 1 });

await scenario('auth', 'A 401 is not retried, and the key never shows up in the error', [{ type: 'status', status: 401 }], async () => `answered (not expected): ${await after.answerTicket('Where is my order?')}`, { outcome: 'auth', hits: 1 });

after.openai.keel.close();
await server.close();
say('\nDone. One line changed; every fault above was real HTTP against the real openai client.');
claims.exitOnBroken();
