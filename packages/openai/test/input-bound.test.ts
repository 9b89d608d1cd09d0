import { describe, expect, it } from 'vitest';
import { imageTokenCeiling, uncountedInputTokens } from '../src/input-bound.js';

describe('the input the messages text does not show', () => {
  it('bounds images by OpenAI\'s published rules, per model and detail', () => {
    expect(imageTokenCeiling('gpt-4o', 'low')).toBe(85);
    expect(imageTokenCeiling('gpt-4o-2024-08-06', 'high')).toBe(85 + 170 * 8);
    expect(imageTokenCeiling('gpt-4o-mini', undefined)).toBe(2_833 + 5_667 * 8);
    expect(imageTokenCeiling('gpt-4.1-nano', 'low')).toBe(3_779);
    expect(imageTokenCeiling('some-future-model', 'low')).toBe(3_779);
  });

  it('adds images, audio, tool calls and tool definitions; plain text adds nothing', () => {
    const audio = 'A'.repeat(4_000); // 3,000 decoded bytes → 30 tokens
    const tools = [{ type: 'function' as const, function: { name: 'f', parameters: { type: 'object' } } }];
    expect(uncountedInputTokens({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] })).toBe(0);
    const total = uncountedInputTokens({
      model: 'gpt-4o',
      tools,
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'hi' }, { type: 'image_url', image_url: { url: 'x', detail: 'low' } }, { type: 'input_audio', input_audio: { data: audio, format: 'wav' } }] },
        { role: 'assistant', content: null, tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '{}' } }] },
      ],
    });
    const toolCalls = JSON.stringify([{ id: 'c', type: 'function', function: { name: 'f', arguments: '{}' } }]).length;
    expect(total).toBe(85 + 30 + toolCalls + JSON.stringify(tools).length + 20);
  });
});
