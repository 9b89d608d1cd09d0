/** Which JSON Schemas go to OpenAI natively (`response_format: json_schema`, strict). */
import { describe, expect, it } from 'vitest';
import { fitsStrictSubset, supportsOutputSchema } from '../src/strict-schema.js';

const closed = (properties: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  type: 'object',
  properties,
  required: Object.keys(properties),
  additionalProperties: false,
  ...extra,
});

describe('fitsStrictSubset', () => {
  it('accepts closed objects with every property required, nullable fields, enums, arrays, anyOf', () => {
    const schema = closed({
      name: { type: 'string', pattern: '^[A-Z]' },
      nickname: { type: ['string', 'null'] },
      kind: { type: 'string', enum: ['a', 'b'] },
      tags: { type: 'array', items: { type: 'string' }, maxItems: 5 },
      address: closed({ city: { type: 'string' } }),
      either: { anyOf: [{ type: 'string' }, { type: 'number' }] },
    });
    expect(fitsStrictSubset(schema)).toBe(true);
  });

  it.each([
    ['an optional property', { type: 'object', properties: { a: { type: 'string' } }, required: [], additionalProperties: false }],
    ['an open object', { type: 'object', properties: { a: { type: 'string' } }, required: ['a'] }],
    ['a root that is not an object', { type: 'array', items: { type: 'string' } }],
    ['an unsupported keyword (minLength)', closed({ a: { type: 'string', minLength: 1 } })],
    ['oneOf', closed({ a: { oneOf: [{ type: 'string' }, { type: 'number' }] } })],
    ['a node JSON Schema could not type ({})', closed({ a: {} })],
    ['nesting deeper than 10', closed({ a: Array.from({ length: 11 }).reduce<Record<string, unknown>>((inner) => closed({ x: inner }), { type: 'string' }) })],
  ])('rejects %s', (_name, schema) => {
    expect(fitsStrictSubset(schema as Record<string, unknown>)).toBe(false);
  });
});

describe('supportsOutputSchema', () => {
  const schema = closed({ a: { type: 'string' } });
  it('is false for models older than Structured Outputs', () => {
    expect(supportsOutputSchema('gpt-4o-mini', schema)).toBe(true);
    expect(supportsOutputSchema('gpt-3.5-turbo', schema)).toBe(false);
    expect(supportsOutputSchema('gpt-4-turbo', schema)).toBe(false);
    expect(supportsOutputSchema('gpt-4', schema)).toBe(false);
    expect(supportsOutputSchema('gpt-4.1', schema)).toBe(true);
  });
});
