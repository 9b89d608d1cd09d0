import { describe, expect, it } from 'vitest';
import { budgetKey, windowEnd, windowStart, windowTag } from '../../src/budgets/index.js';

const at = (iso: string) => Date.parse(iso);

describe('calendar windows (UTC)', () => {
  it.each([
    ['minute', '2025-03-09T10:41:27.123Z', '2025-03-09T10:41:00.000Z', '2025-03-09T10:42:00.000Z'],
    ['hour', '2025-03-09T10:41:27.123Z', '2025-03-09T10:00:00.000Z', '2025-03-09T11:00:00.000Z'],
    ['day', '2025-03-09T23:59:59.999Z', '2025-03-09T00:00:00.000Z', '2025-03-10T00:00:00.000Z'],
    ['month', '2025-12-31T23:59:59.999Z', '2025-12-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z'],
    ['month', '2024-02-29T12:00:00.000Z', '2024-02-01T00:00:00.000Z', '2024-03-01T00:00:00.000Z'],
  ] as const)('%s window of %s is [%s, %s)', (window, now, start, end) => {
    const s = windowStart(window, at(now));
    expect(s).toBe(at(start));
    expect(windowEnd(window, s)).toBe(at(end));
  });

  it('starts a new window exactly at the boundary', () => {
    expect(windowStart('day', at('2025-03-10T00:00:00.000Z'))).toBe(at('2025-03-10T00:00:00.000Z'));
  });
});

describe('budget keys', () => {
  it('separate scopes, units and windows, and encode ids so they cannot forge a key', () => {
    const subject = { feature: 'chat', user: 'alice', tenant: 'acme' };
    expect(budgetKey('feature', 'tokens', 'day', subject)).toBe('budget:f=chat:tokens:day');
    expect(budgetKey('user', 'usd', 'month', subject)).toBe('budget:f=chat/u=alice:usd:month');
    expect(budgetKey('tenant', 'tokens', { sliding: 60_000 }, subject)).toBe('budget:f=chat/t=acme:tokens:sliding60000');
    expect(budgetKey('global', 'usd', 'day', subject)).toBe('budget:global:usd:day');
    expect(budgetKey('user', 'tokens', 'day', { feature: 'chat', user: 'x:tokens:day/u=y' })).toBe('budget:f=chat/u=x%3Atokens%3Aday%2Fu%3Dy:tokens:day');
    expect(budgetKey('user', 'tokens', 'day', { feature: 'chat' })).toBeUndefined();
    expect(windowTag({ sliding: 5 })).toBe('sliding5');
  });
});
