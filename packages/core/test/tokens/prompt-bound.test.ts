import { describe, expect, it } from 'vitest';
import { promptBound } from '../../src/pipeline/prompt-bound.js';
import { upperBoundTokens } from '../../src/tokens/upper-bound.js';

describe('promptBound', () => {
  it('is upperBoundTokens, for small prompts and for kept big ones, on every read', () => {
    const small = [{ role: 'user' as const, content: 'héllo' }];
    const big = [
      { role: 'system' as const, content: 'Be terse. '.repeat(100) },
      { role: 'user' as const, content: 'naïve café ✓ '.repeat(1_000) },
    ];
    for (const messages of [small, big]) {
      expect(promptBound(messages)).toBe(upperBoundTokens(messages));
      expect(promptBound(messages)).toBe(upperBoundTokens(messages));
    }
    // Another request with the same text is its own entry.
    expect(promptBound(big.map((message) => ({ ...message })))).toBe(upperBoundTokens(big));
  });
});
