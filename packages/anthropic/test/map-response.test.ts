import { describe, expect, it } from 'vitest';
import { mapStopReason, mapUsage } from '../src/map-response.js';

describe('mapStopReason', () => {
  it.each([
    ['end_turn', 'stop'],
    ['stop_sequence', 'stop'],
    ['max_tokens', 'length'],
    ['model_context_window_exceeded', 'length'],
    ['tool_use', 'tool_calls'],
    ['pause_turn', 'other'],
    ['something_new', 'other'],
    [null, 'other'],
  ] as const)('%s → %s', (reason, finish) => {
    expect(mapStopReason(reason)).toBe(finish);
  });
});

describe('mapUsage', () => {
  it('reads input_tokens and output_tokens', () => {
    expect(mapUsage({ input_tokens: 12, output_tokens: 3 })).toEqual({ inputTokens: 12, outputTokens: 3 });
    // A missing or invalid required count makes the whole report unusable (Keel then charges its own count).
    expect(mapUsage({ input_tokens: null, output_tokens: 3 })).toBeUndefined();
    expect(mapUsage({ input_tokens: 3, output_tokens: -1 })).toBeUndefined();
    expect(mapUsage({ input_tokens: '3', output_tokens: 1 })).toBeUndefined();
    expect(mapUsage({ input_tokens: 3, output_tokens: 1e308 })).toBeUndefined();
  });

  it('adds the cache reads and writes to input_tokens, which excludes them', () => {
    expect(mapUsage({ input_tokens: 10, output_tokens: 3, cache_read_input_tokens: 60, cache_creation_input_tokens: 30 })).toEqual({
      inputTokens: 100,
      outputTokens: 3,
      cacheReadTokens: 60,
      cacheWriteTokens: 30,
    });
    expect(mapUsage({ input_tokens: 10, output_tokens: 3, cache_read_input_tokens: null, cache_creation_input_tokens: null })).toEqual({ inputTokens: 10, outputTokens: 3 });
    expect(mapUsage({ input_tokens: 10, output_tokens: 3, cache_read_input_tokens: -1 })).toBeUndefined();
    expect(mapUsage(undefined)).toBeUndefined();
  });
});
