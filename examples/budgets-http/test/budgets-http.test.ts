import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createFakeClock, createTestServer, type FakeClock, type TestServer } from '@keel/testkit';
import type { FeatureConfig, Keel } from '@keel/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { INCIDENT_REPORT, RELEASE_NOTES, WHOLE_BOOK } from '../src/documents.js';
import { SUMMARIZE, createSummarizeKeel } from '../src/keel.js';
import { startService, type ErrorBody, type Service, type SummaryBody } from '../src/service.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('..', import.meta.url));

describe('the budgets demo', () => {
  it('runs end to end with no API key and shows each behaviour', async () => {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', '--conditions=keel-source', 'src/main.ts'], {
      cwd: root,
      timeout: 60_000,
      env: { ...process.env, OPENAI_API_KEY: '' },
    });
    // Alice spends until her daily budget cannot fit another call: 429 + Retry-After to midnight UTC.
    expect(stdout).toMatch(/\[06-01 09:00\] alice incident report +→ 200 · \d+ tokens · \$0\.0000\d\d · alice has \d+ tokens left \(user budget\)/);
    expect(stdout).toMatch(
      /\[06-01 09:15\] alice incident report +→ 429 budget_exceeded · Retry-After: 53100 · user budget: \d+ of 1000 tokens left, resets 2025-06-02T00:00:00\.000Z · the model was not called/,
    );
    expect(stdout).toMatch(/HTTP\/1\.1 429\n\s+Retry-After: 53100\n/);
    expect(stdout).toContain('"error": "budget_exceeded"');
    // Bob is unaffected; carol's fourth request in the same second hits the rate limit.
    expect(stdout).toMatch(/bob +incident report +→ 200 .* bob has \d+ tokens left/);
    expect(stdout).toMatch(/carol release notes #3 → 200/);
    expect(stdout).toMatch(/carol release notes #4 → 429 rate_limited · Retry-After: 20 · .* the model was not called/);
    expect(stdout).toMatch(/dave +a whole book +→ 413 request_too_large · .*per-request cap \(2000 tokens; needs \d+\)/);
    // The next day alice's budget is back.
    expect(stdout).toMatch(/\[06-02 00:0\d\] alice incident report +→ 200 .* alice has \d+ tokens left/);
    expect(stdout).toContain('The model server saw 8 requests');
    expect(stdout).not.toContain('sk-demo-not-a-real-key');
  });
});

describe('the service, in process', () => {
  let model: TestServer;
  let clock: FakeClock;
  let keel: Keel;
  let service: Service;

  async function start(summarize: FeatureConfig = SUMMARIZE): Promise<void> {
    model = await createTestServer();
    clock = createFakeClock({ start: Date.parse('2025-06-01T09:00:00Z') });
    keel = createSummarizeKeel({ baseURL: `${model.url}/v1`, clock, summarize });
    service = await startService(keel);
  }

  const post = (user: string | undefined, text: string) =>
    fetch(`${service.url}/summarize`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(user ? { 'x-user-id': user } : {}) },
      body: JSON.stringify({ text }),
    });

  beforeEach(async () => {
    await start();
  });

  afterEach(async () => {
    await service.close();
    await model.close();
    keel.close();
  });

  it('answers with the summary, the tokens used, the cost and the budget left', async () => {
    const response = await post('alice', INCIDENT_REPORT);
    expect(response.status).toBe(200);
    const body = (await response.json()) as SummaryBody;
    expect(body.summary).toBe('The quick brown fox jumps over the lazy dog.');
    expect(body.model).toBe('gpt-4o-mini');
    expect(body.usage.totalTokens).toBe(body.usage.inputTokens + body.usage.outputTokens);
    // gpt-4o-mini: $0.15 per million input tokens, $0.60 per million output tokens.
    expect(body.costUsd).toBeCloseTo((body.usage.inputTokens * 0.15 + body.usage.outputTokens * 0.6) / 1e6, 12);
    expect(body.budget).toEqual({ scope: 'user', unit: 'tokens', remaining: 1000 - body.usage.totalTokens });
  });

  it('turns budget_exceeded into 429 with Retry-After and says which budget ran out, what is left and when it resets', async () => {
    // Alice calls once a minute (clear of the rate limit) until her daily budget cannot fit a call.
    let refused: Response | undefined;
    let served = 0;
    for (let i = 0; i < 10 && !refused; i++) {
      clock.advance(60_000);
      const hits = model.hits;
      const response = await post('alice', INCIDENT_REPORT);
      if (response.status === 200) served++;
      else {
        refused = response;
        expect(model.hits).toBe(hits); // refused before anything was sent
      }
    }
    expect(served).toBeGreaterThan(1);
    expect(refused?.status).toBe(429);
    // Until midnight UTC, when the calendar day (and alice's budget) resets.
    const untilMidnight = Math.ceil((Date.parse('2025-06-02T00:00:00Z') - clock.now()) / 1000);
    expect(refused!.headers.get('retry-after')).toBe(String(untilMidnight));
    const body = (await refused!.json()) as ErrorBody;
    expect(body).toMatchObject({
      error: 'budget_exceeded',
      budget: { scope: 'user', unit: 'tokens', limit: 1000, resetAt: '2025-06-02T00:00:00.000Z' },
      retryAfterSeconds: untilMidnight,
    });
    // Some room is left, just not enough for this call's input + maxTokens (counted exactly here).
    const needed = Number(/this call needs (\d+)/.exec(body.message)?.[1]);
    expect(body.budget!.remaining).toBeGreaterThan(0);
    expect(body.budget!.remaining).toBeLessThan(needed);

    // Another user is unaffected; alice's room is back once Retry-After has passed.
    expect((await post('bob', INCIDENT_REPORT)).status).toBe(200);
    clock.advance(untilMidnight * 1000);
    expect((await post('alice', INCIDENT_REPORT)).status).toBe(200);
  });

  it('turns Keel\'s rate limit into 429 with Retry-After when the wait does not fit the deadline', async () => {
    for (let i = 0; i < 3; i++) expect((await post('carol', RELEASE_NOTES)).status).toBe(200);
    const limited = await post('carol', RELEASE_NOTES);
    expect(limited.status).toBe(429);
    // 3 per minute: one more request every 20 s, longer than the service's 5 s deadline.
    expect(limited.headers.get('retry-after')).toBe('20');
    expect((await limited.json()) as ErrorBody).toMatchObject({ error: 'rate_limited', retryAfterSeconds: 20 });
    expect((await post('dave', RELEASE_NOTES)).status).toBe(200); // per user
  });

  it('answers 413 without Retry-After for a call over the per-request cap', async () => {
    const response = await post('dave', WHOLE_BOOK);
    expect(response.status).toBe(413);
    expect(response.headers.get('retry-after')).toBeNull();
    expect((await response.json()) as ErrorBody).toMatchObject({
      error: 'request_too_large',
      budget: { scope: 'request', unit: 'tokens', limit: 2000 },
    });
    expect(model.hits).toBe(0);
  });

  it('never overspends a budget under concurrent requests', async () => {
    await service.close();
    await model.close();
    keel.close();
    await start({ ...SUMMARIZE, rateLimits: undefined });

    const responses = await Promise.all(Array.from({ length: 12 }, () => post('erin', INCIDENT_REPORT)));
    const bodies = await Promise.all(responses.map(async (r) => ({ status: r.status, body: (await r.json()) as SummaryBody & ErrorBody })));
    const served = bodies.filter((b) => b.status === 200);
    expect(served.length).toBeGreaterThan(0);
    for (const refused of bodies.filter((b) => b.status !== 200)) {
      expect(refused).toMatchObject({ status: 429, body: { error: 'budget_exceeded', budget: { scope: 'user' } } });
    }
    // Each call reserved its worst case before it was sent, so what was spent fits the limit.
    const spent = served.reduce((sum, b) => sum + b.body.usage.totalTokens, 0);
    expect(spent).toBeLessThanOrEqual(1000);
    expect(model.hits).toBe(served.length);
  });

  it('asks for the caller\'s id', async () => {
    const response = await post(undefined, RELEASE_NOTES);
    expect(response.status).toBe(400);
    expect(((await response.json()) as ErrorBody).error).toBe('missing_user');
  });
});
