import { describe, expect, it } from 'vitest';
import { readRetryDirective } from '../src/index.js';

describe('readRetryDirective', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  it('prefers retry-after-ms', () => {
    expect(readRetryDirective(new Headers({ 'retry-after-ms': '1500', 'retry-after': '9' }), now)).toEqual({ retryAfterMs: 1500, shouldRetry: undefined });
  });
  it('reads retry-after in seconds', () => {
    expect(readRetryDirective({ 'retry-after': '2.5' }, now).retryAfterMs).toBe(2500);
  });
  it('reads retry-after as an HTTP date', () => {
    expect(readRetryDirective({ 'retry-after': new Date(now + 7000).toUTCString() }, now).retryAfterMs).toBe(7000);
    expect(readRetryDirective({ 'retry-after': new Date(now - 7000).toUTCString() }, now).retryAfterMs).toBe(0);
  });
  it('ignores garbage and negatives', () => {
    expect(readRetryDirective({ 'retry-after-ms': '-5', 'retry-after': 'soon' }, now).retryAfterMs).toBeUndefined();
    expect(readRetryDirective(undefined, now)).toEqual({ retryAfterMs: undefined, shouldRetry: undefined });
  });
  it('reads x-should-retry', () => {
    expect(readRetryDirective({ 'x-should-retry': 'true' }).shouldRetry).toBe(true);
    expect(readRetryDirective({ 'x-should-retry': 'false' }).shouldRetry).toBe(false);
  });
});
