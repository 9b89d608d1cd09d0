/**
 * Issue #22, hedged streams (opt-in), over the real `openai` and `@anthropic-ai/sdk` clients
 * against the testkit server, Keel on the fake clock: after the hedge delay a backup goes to the
 * next candidate, the first token wins, the loser is cancelled on the wire, each is charged what
 * it used (budget charged = what the server served), and the hedge budget caps the extra load.
 */
import { createTestServer, DEFAULT_REPLY_TEXT, type TestServer } from '@keel/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { keelOver, modelsAsked, pricingFor, reportedUsage, tokensOf, usdAt, WIRES } from './failover-setup.js';

let server: TestServer | undefined;
afterEach(async () => server?.close());

const messages = [{ role: 'user' as const, content: 'Say something.' }];

describe.each(WIRES)('hedged streams over the %s wire', (wire) => {
  const [primary, fallback] = wire.models;

  it('a slow primary loses to the backup sent after the hedge delay, and is cancelled', async () => {
    server = await createTestServer({ script: [{ type: 'slow-first-token', delayMs: 600_000 }] });
    const { keel, clock, charged, served } = keelOver(wire, server, { failover: { hedge: { delayMs: 500, maxRatio: 1 } } }, { pricing: pricingFor(wire) });
    const pending = keel.stream({ feature: 'f', messages }).result();
    await server.waitFor(() => server!.hits === 1);
    clock.advance(500);
    const result = await pending;
    expect(result).toMatchObject({ text: DEFAULT_REPLY_TEXT, model: fallback });
    expect(modelsAsked(server)).toEqual([primary, fallback]);
    await server.waitFor(() => server!.requests[0]!.closed);
    expect(server.requests[0]!.aborted).toBe(true);
    expect(result.candidates).toEqual([
      { provider: wire.name, model: primary, outcome: 'hedge_lost', kind: undefined, attempts: 1, costUsd: 0 },
      { provider: wire.name, model: fallback, outcome: 'answered', attempts: 1, costUsd: result.costUsd },
    ]);
    // Far short of the first-token timeout: the caller waited the hedge delay, not 15 s.
    expect(clock.elapsed()).toBe(500);
    // The loser served nothing and is charged nothing; the winner exactly the usage it reported.
    expect(server.requests[0]!.served).toMatchObject({ inputTokens: 0, outputTokens: 0 });
    expect(await charged()).toBe(tokensOf(reportedUsage(server, 1)));
    expect(result.costUsd).toBe(usdAt(reportedUsage(server, 1)));
    expect(await charged()).toBe(served());
    keel.close();
  });

  it('a primary that answers before the delay sends no backup', async () => {
    server = await createTestServer();
    const { keel, charged, served } = keelOver(wire, server, { failover: { hedge: { delayMs: 500, maxRatio: 1 } } });
    const result = await keel.stream({ feature: 'f', messages }).result();
    expect(result.model).toBe(primary);
    expect(server.hits).toBe(1);
    expect(await charged()).toBe(served());
    keel.close();
  });

  it('the hedge budget caps the extra load: with maxRatio 0 no backup is sent; the first-token timeout still fails over', async () => {
    server = await createTestServer({ script: [{ type: 'slow-first-token', delayMs: 600_000 }] });
    const { keel, clock } = keelOver(wire, server, { timeouts: { firstTokenMs: 3_000 }, failover: { hedge: { delayMs: 500, maxRatio: 0 } } });
    const pending = keel.stream({ feature: 'f', messages }).result();
    await server.waitFor(() => server!.hits === 1);
    clock.advance(500);
    expect(server.hits).toBe(1);
    clock.advance(2_500);
    const result = await pending;
    expect(result.model).toBe(fallback);
    expect(result.candidates).toMatchObject([{ model: primary, outcome: 'failed_over', kind: 'timeout' }, { model: fallback, outcome: 'answered' }]);
    keel.close();
  });
});
