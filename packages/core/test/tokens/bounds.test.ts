import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  countChatTokens,
  countTextTokens,
  estimateTextTokens,
  estimateTokens,
  upperBoundTextTokens,
  upperBoundTokens,
  type CountableMessage,
  type TokenEncodingName,
} from '../../src/tokens/index.js';

const ENCODINGS: readonly TokenEncodingName[] = ['o200k_base', 'cl100k_base'];

// Text that tokenizes badly: every Unicode plane, lone surrogates, special-token strings,
// digits, whitespace runs and random "base64".
const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((code) => String.fromCharCode(code));
const nastyText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc.string({ unit: 'grapheme', maxLength: 300 }),
  fc.string({ unit: fc.oneof(loneSurrogate, fc.constantFrom('<|endoftext|>', '<|im_start|>', ' ', '\n', '0', '🏽', '日')), maxLength: 60 }),
  fc.base64String({ maxLength: 400 }),
);
const message = fc.record(
  {
    role: fc.constantFrom('system', 'user', 'assistant'),
    content: nastyText,
    name: fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 20 }),
  },
  { requiredKeys: ['role', 'content'] },
);

/** Reads a fast-check seed from FC_SEED or picks one, and prints it so CI logs can replay a failure. */
function seed(): number {
  const value = process.env.FC_SEED ? Number(process.env.FC_SEED) : Math.floor(Math.random() * 2 ** 31);
  console.log(`fast-check seed (tokens): ${value} — replay with FC_SEED=${value}`);
  return value;
}

describe('upper bound', () => {
  it('never undercounts a text: tokens ≤ UTF-8 bytes, for o200k_base and cl100k_base', () => {
    fc.assert(
      fc.property(nastyText, (text) => {
        for (const encoding of ENCODINGS) expect(countTextTokens(encoding, text)).toBeLessThanOrEqual(upperBoundTextTokens(text));
      }),
      { numRuns: 1000, seed: seed(), verbose: true },
    );
  });

  it('never undercounts a chat prompt, framing included', () => {
    fc.assert(
      fc.property(fc.array(message, { maxLength: 6 }), (messages: CountableMessage[]) => {
        const bound = upperBoundTokens(messages);
        for (const encoding of ENCODINGS) expect(countChatTokens(encoding, messages)).toBeLessThanOrEqual(bound);
      }),
      { numRuns: 1000, seed: seed(), verbose: true },
    );
  });

  it('is tight for the worst case the proof allows (one token per byte)', () => {
    // Unrelated CJK/emoji bytes come close to one token per byte in cl100k_base.
    const text = '\u{1F3FD}'.repeat(50);
    expect(countTextTokens('cl100k_base', text) / upperBoundTextTokens(text)).toBeGreaterThan(0.5);
  });
});

const CODE = `import { readFile } from 'node:fs/promises';

/** Loads the configuration file and validates every feature once. */
export async function loadConfiguration(path: string): Promise<Configuration> {
  const text = await readFile(path, 'utf8');
  const parsed = configurationSchema.safeParse(JSON.parse(text));
  if (!parsed.success) throw new ConfigurationError(\`Invalid configuration in \${path}\`, parsed.error.issues);
  return parsed.data;
}
`;

describe('estimate', () => {
  it('over-counts cl100k_base on prose, code, CJK and Cyrillic', () => {
    const samples = [
      'Keel reserves budget before a call, atomically, and settles on every exit path. '.repeat(40),
      CODE.repeat(10),
      '人工智能是计算机科学的一个分支，它企图了解智能的实质。'.repeat(40),
      'Все счастливые семьи похожи друг на друга, каждая несчастливая семья несчастлива по-своему. '.repeat(20),
    ];
    for (const text of samples) expect(estimateTextTokens(text)).toBeGreaterThanOrEqual(countTextTokens('cl100k_base', text));
  });

  it('under-counts high-entropy text, as documented (so it is never used to reserve)', () => {
    const base64 = Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 7919) % 256)).toString('base64');
    expect(estimateTextTokens(base64)).toBeLessThan(countTextTokens('cl100k_base', base64));
  });

  it('never exceeds the upper bound', () => {
    fc.assert(
      fc.property(fc.array(message, { maxLength: 6 }), (messages: CountableMessage[]) => {
        expect(estimateTokens(messages)).toBeLessThanOrEqual(upperBoundTokens(messages));
      }),
      { numRuns: 1000, seed: seed() },
    );
  });
});
