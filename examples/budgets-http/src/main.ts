/**
 * Keel per-feature budgets over HTTP: a `POST /summarize` service whose feature has a per-user
 * daily token budget, a feature-wide monthly USD budget, a per-call cap and a per-user rate
 * limit. A short scripted session shows a user running out (429 + Retry-After), others
 * unaffected, and the budget coming back when its day ends. No API key, no network.
 *
 *   pnpm --filter @keel/example-budgets-http start
 *
 * Keel runs on the testkit's fake clock, so "the next day" arrives on cue and the session
 * (times, tokens, costs, Retry-After values) is the same on every run.
 */
import { createTokenCounter } from '@keel/core';
import { createDemoClaims, createFakeClock, createTestServer, type RecordedRequest } from '@keel/testkit';
import { CUSTOMER_EMAIL, INCIDENT_REPORT, MEETING_NOTES, RELEASE_NOTES, SUMMARIES, WHOLE_BOOK } from './documents.js';
import { SUMMARIZE, createSummarizeKeel } from './keel.js';
import { startService, type ErrorBody, type SummaryBody } from './service.js';

/** The loopback model answers with the canned summary of the text it was sent. */
function reply(request: RecordedRequest): string {
  const messages = (request.body as { messages?: { content?: unknown }[] } | undefined)?.messages ?? [];
  const text = messages.at(-1)?.content;
  return (typeof text === 'string' && SUMMARIES.get(text)) || 'The text is summarized.';
}

// Keel counts a prompt's tokens exactly (tiktoken) only when the cheap upper bound does not fit a
// budget. Loading the encoder takes a moment once per process: do it at startup, not mid-request.
createTokenCounter().warmUp(['gpt-4o-mini']);

const model = await createTestServer({ reply });
const clock = createFakeClock({ start: Date.parse('2025-06-01T09:00:00Z') });
const keel = createSummarizeKeel({ baseURL: `${model.url}/v1`, clock });
const service = await startService(keel, { deadlineMs: 5_000 });

const say = (line: string) => console.log(line);
const at = () => new Date(clock.now()).toISOString().slice(5, 16).replace('T', ' ');
const minutes = (n: number) => clock.advance(n * 60_000);
let spentUsd = 0;

/** Each step's claimed HTTP status; a step that answers otherwise fails the demo (exit 1). */
const claims = createDemoClaims();

/**
 * One request to the service, printed as one line, checked against the status the step claims;
 * returns the Retry-After it got, if any.
 */
async function summarize(user: string, label: string, text: string, expected: 200 | 413 | 429, show = false): Promise<number | undefined> {
  const hitsBefore = model.hits;
  const response = await fetch(`${service.url}/summarize`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-user-id': user },
    body: JSON.stringify({ text }),
  });
  const retryAfter = response.headers.get('retry-after');
  const head = `[${at()}] ${user.padEnd(5)} ${label.padEnd(16)} → ${response.status}`;
  const reached = model.hits > hitsBefore ? '' : ' · the model was not called';
  const raw = await response.text();
  if (response.status !== expected) {
    claims.broken(`${user} ${label}: expected HTTP ${expected}, got ${response.status}`, `${user} ${label} should answer ${expected}, got ${response.status}`);
  }
  const showResponse = () => {
    if (!show) return;
    say(`    HTTP/1.1 ${response.status}${retryAfter ? `\n    Retry-After: ${retryAfter}` : ''}`);
    say(JSON.stringify(JSON.parse(raw), null, 2).replace(/^/gm, '    '));
  };
  if (response.ok) {
    const body = JSON.parse(raw) as SummaryBody;
    spentUsd += body.costUsd ?? 0;
    const left = body.budget ? ` · ${user} has ${body.budget.remaining} ${body.budget.unit} left (${body.budget.scope} budget)` : '';
    say(`${head} · ${body.usage.totalTokens} tokens · $${(body.costUsd ?? 0).toFixed(6)}${left}`);
    showResponse();
    return undefined;
  }
  const body = JSON.parse(raw) as ErrorBody;
  const budget = body.budget;
  const detail =
    budget && budget.scope !== 'request'
      ? ` · ${budget.scope} budget: ${budget.remaining} of ${budget.limit} ${budget.unit} left${budget.resetAt ? `, resets ${budget.resetAt}` : ''}`
      : ` · ${body.message}`;
  say(`${head} ${body.error}${retryAfter ? ` · Retry-After: ${retryAfter}` : ''}${detail}${reached}`);
  showResponse();
  return retryAfter === null ? undefined : Number(retryAfter);
}

const perUser = SUMMARIZE.budget.limits[0]!;
const perFeature = SUMMARIZE.budget.limits[1]!;
say(`Keel budgets demo — model server (testkit) at ${model.url}, service at ${service.url}`);
say(
  `Feature "summarize" on openai/gpt-4o-mini: ${perUser.limit} tokens per user per ${perUser.window}, $${perFeature.limit} per ${perFeature.window} ` +
    `for the whole feature, ${SUMMARIZE.budget.perRequest.maxTokens} tokens per call, ${SUMMARIZE.rateLimits[0]!.requestsPerMinute} requests per user per minute.`,
);
say('Keel runs on a virtual clock, so the day can end on cue.\n');

say('▶ alice summarizes a few documents until her daily budget runs out');
await summarize('alice', 'incident report', INCIDENT_REPORT, 200, true);
minutes(5);
await summarize('alice', 'meeting notes', MEETING_NOTES, 200);
minutes(5);
await summarize('alice', 'customer email', CUSTOMER_EMAIL, 200);
minutes(5);
const aliceRetryAfter = await summarize('alice', 'incident report', INCIDENT_REPORT, 429, true);

say('\n▶ bob has a budget of his own');
minutes(1);
await summarize('bob', 'incident report', INCIDENT_REPORT, 200);

say('\n▶ carol sends four requests within a second: the rate limit admits three');
minutes(1);
for (let i = 1; i <= 4; i++) await summarize('carol', `release notes #${i}`, RELEASE_NOTES, i <= 3 ? 200 : 429);

say('\n▶ dave pastes a whole book: over the per-call cap, whatever his budget');
await summarize('dave', 'a whole book', WHOLE_BOOK, 413);

say(`\n▶ alice comes back once her Retry-After (${aliceRetryAfter} s) has passed: a new day, a fresh budget`);
clock.advance((aliceRetryAfter ?? 0) * 1000);
await summarize('alice', 'incident report', INCIDENT_REPORT, 200);

say(`\nThe model server saw ${model.hits} requests; every refusal above was decided before sending anything.`);
say(`The feature spent $${spentUsd.toFixed(6)} of its $${perFeature.limit} this month.`);

await service.close();
await model.close();
keel.close();
claims.exitOnBroken();
