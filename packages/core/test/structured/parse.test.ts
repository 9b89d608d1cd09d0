/** Tolerant JSON extraction and its caps: what the model wrote, and what hostile output costs. */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { parseModelJson } from '../../src/structured/parse.js';
import { locateJson } from '../../src/structured/locate.js';
import { DEFAULT_OUTPUT_LIMITS } from '../../src/structured/limits.js';
import { isValidPartial } from '../../src/structured/validate.js';

const value = (text: string) => {
  const outcome = parseModelJson(text);
  if (!outcome.ok) throw new Error(outcome.issue);
  return outcome.value;
};

describe('tolerant extraction', () => {
  it.each([
    ['a fence with a language', '```json\n{"a": 1}\n```', { a: 1 }],
    ['a fence without one, prose before it', 'Here you go:\n```\n{"a": 1}\n```\nDone.', { a: 1 }],
    ['prose on both sides', 'Sure! {"a": {"b": [1, 2]}} Hope that helps.', { a: { b: [1, 2] } }],
    ['braces inside strings', 'x {"a": "} not the end {"} y', { a: '} not the end {' }],
    ['trailing commas', '{"a": [1, 2,], }', { a: [1, 2] }],
    ['single quotes', "{'a': 'it\\'s'}", { a: "it's" }],
    ['unquoted keys', '{a: 1, b_c: true}', { a: 1, b_c: true }],
    ['a partial object', '{"a": 1, "b": [1, 2', { a: 1, b: [1, 2] }],
    ['a partial string', '{"a": "hel', { a: 'hel' }],
    ['an array at the root', 'The list: [1, 2, 3]', [1, 2, 3]],
  ])('%s', (_name, text, expected) => {
    expect(value(text)).toEqual(expected);
  });

  it('no JSON at all is a failure, not a guess', () => {
    expect(parseModelJson('I cannot help with that.')).toMatchObject({ ok: false, reason: 'no_json', hostile: false });
  });
});

describe('hostile output', () => {
  it('a "__proto__" key is refused and pollutes nothing', () => {
    expect(parseModelJson('{"__proto__": {"polluted": 1}}')).toMatchObject({ ok: false, reason: 'prototype_key', hostile: true });
    expect(parseModelJson("{'a': 1, __proto__: {polluted: 1}}")).toMatchObject({ ok: false, reason: 'prototype_key' });
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('a "constructor.prototype" key is refused; a plain "constructor" field is data', () => {
    expect(parseModelJson('{"constructor": {"prototype": {"x": 1}}}')).toMatchObject({ ok: false, reason: 'prototype_key' });
    expect(value('{"constructor": "a name"}')).toEqual({ constructor: 'a name' });
  });

  it('10,000-deep nesting: the scan stops at the cap, so the parser never sees it', () => {
    const deep = '['.repeat(10_000) + ']'.repeat(10_000);
    const located = locateJson(deep, DEFAULT_OUTPUT_LIMITS.maxDepth);
    // Deterministic measure of the work done: the scan stopped after maxDepth + 1 characters of 20,000.
    expect(located).toEqual({ ok: false, reason: 'too_deep', at: DEFAULT_OUTPUT_LIMITS.maxDepth });
    expect(parseModelJson(deep)).toMatchObject({ ok: false, reason: 'too_deep', hostile: true });
  });

  it('depth inside strings does not count', () => {
    expect(value(`{"a": "${'['.repeat(1_000)}"}`)).toEqual({ a: '['.repeat(1_000) });
  });

  it('a 10 MB body is refused on its length alone, before any scan', () => {
    // A body that would be expensive to scan and to repair: no closing brace, ever.
    const huge = '{"a": "' + 'x'.repeat(10 * 1024 * 1024);
    expect(parseModelJson(huge)).toEqual({ ok: false, reason: 'too_large', hostile: true, issue: `output: ${huge.length} characters, over the 1048576 limit` });
  });

  it('limits are the caller’s to tighten', () => {
    expect(parseModelJson('{"a": [[1]]}', { ...DEFAULT_OUTPUT_LIMITS, maxDepth: 2 })).toMatchObject({ reason: 'too_deep' });
    expect(parseModelJson('{"a": 1}', { ...DEFAULT_OUTPUT_LIMITS, maxChars: 4 })).toMatchObject({ reason: 'too_large' });
  });

  it('output that needs repair runs the (slower, superlinear) repair pass only up to maxRepairChars', () => {
    // Trailing commas make jsonrepair quadratic (see limits.ts and the bench): a large messy
    // answer is refused on its length, not repaired.
    const item = "{id: 1, tags: ['a', 'b',],}";
    const messy = `[${Array.from({ length: 2_000 }, () => item).join(', ')}]`;
    expect(messy.length).toBeGreaterThan(DEFAULT_OUTPUT_LIMITS.maxRepairChars);
    expect(parseModelJson(messy)).toEqual({
      ok: false,
      reason: 'unparseable',
      hostile: false,
      issue: `output: not valid JSON, and ${messy.length} characters is over the ${DEFAULT_OUTPUT_LIMITS.maxRepairChars} the repair pass runs on`,
    });
    // The same answer as strict JSON, far larger than the repair cap, parses directly.
    const strict = JSON.stringify(Array.from({ length: 2_000 }, () => ({ id: 1, tags: ['a', 'b'] })));
    expect(parseModelJson(strict)).toMatchObject({ ok: true });
    // And a small messy one is repaired.
    expect(parseModelJson(`[${item}]`)).toEqual({ ok: true, value: [{ id: 1, tags: ['a', 'b'] }], complete: true });
  });
});

describe('partial values', () => {
  const schema = z.object({ name: z.string(), tags: z.array(z.enum(['a', 'b'])), age: z.number() });

  it('a prefix with missing fields is a valid partial', () => {
    expect(isValidPartial(schema, { name: 'Ad' })).toBe(true);
    expect(isValidPartial(schema, { name: 'Ada', tags: ['a'] })).toBe(true);
  });

  it('a wrong value is not a partial, it is wrong', () => {
    expect(isValidPartial(schema, { name: 7 })).toBe(false);
    expect(isValidPartial(schema, { name: 'Ada', tags: ['c'] })).toBe(false);
    expect(isValidPartial(schema, 'text')).toBe(false);
  });
});
