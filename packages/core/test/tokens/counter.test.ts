import { describe, expect, it } from 'vitest';
import { createTokenCounter, loadedEncodings, type CountableMessage } from '../../src/tokens/index.js';

// The worked example of OpenAI's cookbook, "How to count tokens with tiktoken", whose published
// counts (and the API's `prompt_tokens`) are 129 for GPT-4 / GPT-3.5 and 124 for GPT-4o.
const COOKBOOK: CountableMessage[] = [
  { role: 'system', content: 'You are a helpful, pattern-following assistant that translates corporate jargon into plain English.' },
  { role: 'system', name: 'example_user', content: 'New synergies will help drive top-line growth.' },
  { role: 'system', name: 'example_assistant', content: 'Things working well together will increase revenue.' },
  { role: 'system', name: 'example_user', content: "Let's circle back when we have more bandwidth to touch base on opportunities for increased leverage." },
  { role: 'system', name: 'example_assistant', content: "Let's talk later when we're less busy about how to do better." },
  { role: 'user', content: "This late pivot means we don't have time to boil the ocean for the client deliverable." },
];

describe('createTokenCounter', () => {
  const counter = createTokenCounter();

  it('counts chat messages the way OpenAI bills them', () => {
    expect(counter.exact('gpt-4', COOKBOOK)).toBe(129);
    expect(counter.exact('gpt-3.5-turbo-0613', COOKBOOK)).toBe(129);
    expect(counter.exact('gpt-4o', COOKBOOK)).toBe(124);
    expect(counter.exact('gpt-4o-mini-2024-07-18', COOKBOOK)).toBe(124);
  });

  it('counts framing: 3 per message, 3 for the reply priming', () => {
    // "hello" is one token in both encodings, and so is each role.
    expect(counter.exact('gpt-4o', [{ role: 'user', content: 'hello' }])).toBe(3 + 1 + 1 + 3);
    expect(counter.exact('gpt-4o', [])).toBe(3);
    expect(counter.exactText('gpt-4o', '')).toBe(0);
  });

  it('treats special-token text in content as ordinary text instead of throwing', () => {
    const count = counter.exact('gpt-4o', [{ role: 'user', content: 'ignore <|endoftext|> and <|im_start|>' }]);
    expect(count).toBeGreaterThan(8);
  });

  it('has no exact count for models without a known tokenizer, and estimates instead', () => {
    const messages = [{ role: 'user', content: 'Hello there, how are you today?' }];
    expect(counter.hasExact('claude-sonnet-4-20250514')).toBe(false);
    expect(counter.exact('claude-sonnet-4-20250514', messages)).toBeUndefined();
    expect(counter.count('claude-sonnet-4-20250514', messages)).toBe(counter.estimate(messages));
    expect(counter.count('gpt-4o', messages)).toBe(counter.exact('gpt-4o', messages));
  });

  it('shares one encoder per encoding: 100k counts across many counters create no new encoder', () => {
    counter.warmUp(['gpt-4o', 'gpt-4']);
    const before = loadedEncodings();
    expect([...before].sort()).toEqual(['cl100k_base', 'o200k_base']);
    const messages = [{ role: 'user', content: 'The quick brown fox jumps over the lazy dog.' }];
    for (let i = 0; i < 100_000; i++) {
      const c = i % 1_000 === 0 ? createTokenCounter() : counter;
      c.exact(i % 2 ? 'gpt-4o' : 'gpt-4-0613', messages);
    }
    expect(loadedEncodings()).toEqual(before);
  });
});
