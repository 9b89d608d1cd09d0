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
    expect(mapUsage({ input_tokens: null, output_tokens: 3 })).toEqual({ inputTokens: 0, outputTokens: 3 });
    expect(mapUsage(undefined)).toBeUndefined();
  });
});
