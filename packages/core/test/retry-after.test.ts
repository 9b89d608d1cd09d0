import { describe, expect, it } from 'vitest';
import { headerValue, readRetryDirective } from '../src/index.js';

describe('readRetryDirective', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  it('prefers retry-after-ms', () => {
    expect(readRetryDirective(new Headers({ 'retry-after-ms': '1500', 'retry-after': '9' }), now)).toEqual({ retryAfterMs: 1500, shouldRetry: undefined });
  });
  it('reads retry-after in delta-seconds', () => {
    expect(readRetryDirective({ 'retry-after': '2' }, now).retryAfterMs).toBe(2000);
    expect(readRetryDirective({ 'retry-after': ' 0 ' }, now).retryAfterMs).toBe(0);
  });
  it('reads retry-after-ms as whole or fractional milliseconds, as the SDKs send it', () => {
    expect(readRetryDirective({ 'retry-after-ms': '250' }, now).retryAfterMs).toBe(250);
    expect(readRetryDirective({ 'retry-after-ms': '12.5' }, now).retryAfterMs).toBe(12.5);
  });
  // RFC 9110 §10.2.3: delta-seconds is 1*DIGIT. Number() would take all of these.
  it.each(['0x0', '0x10', '1e-1', '1e3', '2.5', '-1', '+3', '.5', 'Infinity', '0b1', '1_000', '٣'])(
    'ignores retry-after %j, which is neither delta-seconds nor an HTTP-date',
    (value) => {
      expect(readRetryDirective({ 'retry-after': value }, now).retryAfterMs).toBeUndefined();
    },
  );
  it.each(['0x0', '1e-1', '1e3', '-5', '+5', '.5', '5.', '12abc', 'Infinity', ''])('ignores retry-after-ms %j and falls back to retry-after', (value) => {
    expect(readRetryDirective({ 'retry-after-ms': value, 'retry-after': '4' }, now).retryAfterMs).toBe(4000);
  });
  it('accepts the three HTTP-date forms and nothing else Date.parse would take', () => {
    const later = now + 7000;
    const imf = new Date(later).toUTCString(); // Thu, 01 Jan 2026 00:00:07 GMT
    expect(readRetryDirective({ 'retry-after': imf }, now).retryAfterMs).toBe(7000);
    expect(readRetryDirective({ 'retry-after': 'Thursday, 01-Jan-26 00:00:07 GMT' }, now).retryAfterMs).toBe(7000);
    // asctime carries no zone: an HTTP date is UTC whatever the machine's zone.
    expect(readRetryDirective({ 'retry-after': 'Thu Jan  1 00:00:07 2026' }, now).retryAfterMs).toBe(7000);
    for (const loose of ['foo 1', '2026-01-01T00:00:07Z', 'Thu, 01 Jan 2026 00:00:07 +0000', 'January 1, 2026']) {
      expect(readRetryDirective({ 'retry-after': loose }, now).retryAfterMs).toBeUndefined();
    }
  });
  it('reads plain header records case-insensitively (older SDKs, CommonJS builds)', () => {
    expect(readRetryDirective({ 'Retry-After': '3', 'X-Should-Retry': 'true' }, now)).toEqual({ retryAfterMs: 3000, shouldRetry: true });
    expect(headerValue({ 'Retry-After-Ms': ['10', '20'] }, 'retry-after-ms')).toBe('10');
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
