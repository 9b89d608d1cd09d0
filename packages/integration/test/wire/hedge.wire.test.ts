/**
 * Issue #22, hedging (opt-in), over the real `openai` and `@anthropic-ai/sdk` clients against the
 * testkit server, Keel on the fake clock: after the hedge delay a backup goes to the next
 * candidate; the first token (streams) or the first complete response (chats) wins, the loser is
 * cancelled on the wire, each is charged exactly what it used (the budget spent is the winner's
 * reported usage; a loser cancelled before answering served and costs nothing), `hedge.started` /
 * `hedge.won` say so, and the hedge budget caps the extra load.
 */
import { createTestServer, DEFAULT_REPLY_TEXT, type TestServer } from '@keel/testkit';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { KeelEvent } from '@keel/core';
import { keelOver, modelsAsked, pricingFor, reportedUsage, tokensOf, usdAt, WIRES } from './failover-setup.js';

let server: TestServer | undefined;
afterEach(async () => server?.close());

const messages = [{ role: 'user' as const, content: 'Say something.' }];

/** The hedge events, without their call id, feature and time. */
const hedgeEvents = (events: readonly KeelEvent[]) =>
  events.flatMap((event) => {
    if (event.type !== 'hedge.started' && event.type !== 'hedge.won') return [];
    const { callId: _callId, feature: _feature, at: _at, ...rest } = event;
    return [rest];
  });

describe.each(WIRES)('hedged streams over the %s wire', (wire) => {
  const [primary, fallback] = wire.models;

  it('a slow primary loses to the backup sent after the hedge delay, and is cancelled', async () => {
    server = await createTestServer({ script: [{ type: 'slow-first-token', delayMs: 600_000 }] });
    const { keel, clock, charged, served, events } = keelOver(wire, server, { failover: { hedge: { delayMs: 500, maxRatio: 1 } } }, { pricing: pricingFor(wire) });
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
    expect(hedgeEvents(events)).toEqual([
      { type: 'hedge.started', primary: { provider: wire.name, model: primary }, backup: { provider: wire.name, model: fallback } },
      { type: 'hedge.won', primary: { provider: wire.name, model: primary }, backup: { provider: wire.name, model: fallback }, winner: 'backup' },
    ]);
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

describe.each(WIRES)('hedged chats over the %s wire: the first complete response wins', (wire) => {
  const [primary, fallback] = wire.models;
  const pair = { primary: { provider: wire.name, model: primary }, backup: { provider: wire.name, model: fallback } };

  it('a slow primary loses to the backup sent after the hedge delay; its request is aborted at the server', async () => {
    server = await createTestServer({ script: [{ type: 'slow-first-token', delayMs: 600_000 }] });
    const { keel, clock, charged, served, events } = keelOver(wire, server, { failover: { hedge: { delayMs: 500, maxRatio: 1 } } }, { pricing: pricingFor(wire) });
    const pending = keel.chat({ feature: 'f', messages });
    await server.waitFor(() => server!.hits === 1);
    clock.advance(499);
    expect(server.hits).toBe(1);
    clock.advance(1);
    const result = await pending;
    expect(result).toMatchObject({ text: DEFAULT_REPLY_TEXT, model: fallback });
    expect(modelsAsked(server)).toEqual([primary, fallback]);
    expect(server.requests.map((request) => request.stream)).toEqual([false, false]);
    await server.waitFor(() => server!.requests[0]!.closed);
    expect(server.requests[0]!.aborted).toBe(true);
    expect(result.candidates).toEqual([
      { provider: wire.name, model: primary, outcome: 'hedge_lost', kind: undefined, attempts: 1, costUsd: 0 },
      { provider: wire.name, model: fallback, outcome: 'answered', attempts: 1, costUsd: usdAt(reportedUsage(server, 1)) },
    ]);
    expect(result.costUsd).toBe(usdAt(reportedUsage(server, 1)));
    expect(clock.elapsed()).toBe(500);
    // The loser's hold is released (it served nothing), the winner's settled on its usage: exactly once each.
    expect(server.requests[0]!.served).toMatchObject({ inputTokens: 0, outputTokens: 0 });
    await vi.waitFor(async () => expect(await charged()).toBe(tokensOf(reportedUsage(server!, 1))));
    expect(await charged()).toBe(served());
    expect(hedgeEvents(events)).toEqual([
      { type: 'hedge.started', ...pair },
      { type: 'hedge.won', ...pair, winner: 'backup' },
    ]);
    keel.close();
  });

  it('a primary that answers before the delay sends no backup and no hedge event', async () => {
    server = await createTestServer();
    const { keel, charged, served, events } = keelOver(wire, server, { failover: { hedge: { delayMs: 500, maxRatio: 1 } } });
    const result = await keel.chat({ feature: 'f', messages });
    expect(result.model).toBe(primary);
    expect(server.hits).toBe(1);
    expect(await charged()).toBe(served());
    expect(hedgeEvents(events)).toEqual([]);
    keel.close();
  });

  it('the hedge budget caps the extra load: with maxRatio 0 no backup is sent; the attempt timeout still fails over', async () => {
    server = await createTestServer({ script: [{ type: 'slow-first-token', delayMs: 600_000 }] });
    const { keel, clock, events } = keelOver(wire, server, { timeouts: { attemptMs: 3_000 }, failover: { hedge: { delayMs: 500, maxRatio: 0 } } });
    const pending = keel.chat({ feature: 'f', messages });
    await server.waitFor(() => server!.hits === 1);
    clock.advance(500);
    expect(server.hits).toBe(1);
    clock.advance(2_500);
    const result = await pending;
    expect(result.model).toBe(fallback);
    expect(result.candidates).toMatchObject([{ model: primary, outcome: 'failed_over', kind: 'timeout' }, { model: fallback, outcome: 'answered' }]);
    expect(hedgeEvents(events)).toEqual([]);
    keel.close();
  });

  it("the percentile delay follows the chats' observed response times", async () => {
    server = await createTestServer({ script: [{ type: 'ok' }, { type: 'ok' }, { type: 'slow-first-token', delayMs: 600_000 }] });
    const { keel, clock } = keelOver(wire, server, { failover: { hedge: { delayMs: 10_000, percentile: 50, minSamples: 2, maxRatio: 1 } } });
    // The first two chats take 300 ms by Keel's clock: time passes while their attempt is out.
    let slowed = 0;
    const off = keel.on((event) => {
      if (event.type === 'attempt.started' && slowed < 2) {
        slowed++;
        clock.advance(300);
      }
    });
    await keel.chat({ feature: 'f', messages });
    await keel.chat({ feature: 'f', messages });
    off();
    const pending = keel.chat({ feature: 'f', messages });
    await server.waitFor(() => server!.hits === 3);
    // The median of [300, 300]: the backup goes after 300 ms, not the fixed 10 s.
    clock.advance(300);
    const result = await pending;
    expect(result.model).toBe(fallback);
    expect(modelsAsked(server)).toEqual([primary, primary, primary, fallback]);
    keel.close();
  });
});
