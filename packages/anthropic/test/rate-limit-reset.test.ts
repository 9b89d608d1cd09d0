import { describe, expect, it } from 'vitest';
import { readRateLimitReset } from '../src/rate-limit-reset.js';

const NOW = Date.parse('2026-01-01T00:00:00Z');

describe('readRateLimitReset', () => {
  it('waits for the latest reset among the exhausted limits', () => {
    const headers = new Headers({
      'anthropic-ratelimit-requests-remaining': '0',
      'anthropic-ratelimit-requests-reset': '2026-01-01T00:00:02Z',
      'anthropic-ratelimit-input-tokens-remaining': '0',
      'anthropic-ratelimit-input-tokens-reset': '2026-01-01T00:00:05Z',
      'anthropic-ratelimit-output-tokens-remaining': '900',
      'anthropic-ratelimit-output-tokens-reset': '2026-01-01T00:01:00Z',
    });
    expect(readRateLimitReset(headers, NOW)).toBe(5_000);
  });

  it('gives nothing when no limit is exhausted, a reset does not parse, or there are no headers', () => {
    expect(readRateLimitReset(new Headers({ 'anthropic-ratelimit-requests-remaining': '3', 'anthropic-ratelimit-requests-reset': '2026-01-01T00:00:02Z' }), NOW)).toBeUndefined();
    expect(readRateLimitReset(new Headers({ 'anthropic-ratelimit-tokens-remaining': '0', 'anthropic-ratelimit-tokens-reset': 'soon' }), NOW)).toBeUndefined();
    expect(readRateLimitReset(undefined, NOW)).toBeUndefined();
  });

  it('never returns a negative wait for a reset in the past', () => {
    const headers = new Headers({ 'anthropic-ratelimit-tokens-remaining': '0', 'anthropic-ratelimit-tokens-reset': '2025-12-31T23:59:00Z' });
    expect(readRateLimitReset(headers, NOW)).toBe(0);
  });
});
