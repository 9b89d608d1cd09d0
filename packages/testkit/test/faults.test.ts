import { describe, expect, it } from 'vitest';
import { FAULT_TYPES, parseFaults } from '../src/index.js';

describe('parseFaults', () => {
  it('accepts every fault type with its required fields', () => {
    const script = [
      { type: 'ok', text: 'hi' },
      { type: 'status', status: 503 },
      { type: 'reset' },
      { type: 'hang' },
      { type: 'slow-headers', delayMs: 10 },
      { type: 'slow-first-token', delayMs: 10 },
      { type: 'stall-after', chunks: 1 },
      { type: 'reset-after', chunks: 1 },
      { type: 'malformed-json' },
      { type: 'malformed-sse' },
      { type: 'no-done', finish: true },
      { type: 'error-event', afterChunks: 2 },
    ];
    expect(parseFaults(script)).toEqual(script);
    expect(script.map((fault) => fault.type)).toEqual(FAULT_TYPES);
  });

  it('names the first bad entry', () => {
    expect(() => parseFaults({})).toThrow('must be a JSON array');
    expect(() => parseFaults([{ type: 'ok' }, 'reset'])).toThrow('Fault #1 is not an object');
    expect(() => parseFaults([{ type: 'nope' }])).toThrow('unknown type "nope"');
    expect(() => parseFaults([{ type: 'stall-after' }])).toThrow('Fault #0 (stall-after) needs a non-negative number "chunks"');
    expect(() => parseFaults([{ type: 'status', status: '429' }])).toThrow('"status"');
    expect(() => parseFaults([{ type: 'reset-after', chunks: 1, how: 'fin' }, { type: 'reset-after', chunks: 1, how: 'rst' }])).not.toThrow();
    expect(() => parseFaults([{ type: 'reset-after', chunks: 1, how: 'abort' }])).toThrow('Fault #0 (reset-after) has an unknown "how" "abort"; expected fin or rst');
  });
});
