import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bodySchema, plainBody, type DropInShape } from '../src/drop-in/body.js';

const SHAPES: Record<string, DropInShape> = {
  openai: {
    roles: {
      system: { as: 'system' },
      developer: { as: 'system' },
      user: { as: 'user' },
      assistant: { as: 'assistant', contentOptional: (message) => message['tool_calls'] != null },
      tool: { as: 'user' },
    },
  },
  anthropic: { roles: { user: { as: 'user' }, assistant: { as: 'assistant' } }, topLevelSystem: true },
};

/** Mostly a valid value, now and then a near miss: both answers get reached. */
const field = <T, U>(valid: fc.Arbitrary<T>, invalid: fc.Arbitrary<U>) => fc.oneof({ weight: 10, arbitrary: valid }, { weight: 1, arbitrary: invalid });
const junk = fc.oneof(fc.constant(null), fc.string({ maxLength: 3 }), fc.integer(), fc.boolean(), fc.constant({}), fc.constant([]));
const content = field(fc.string({ maxLength: 5 }), fc.oneof(fc.constant(null), fc.constant([{ type: 'text', text: 'hi' }]), fc.constant([{ type: 'image' }]), junk));
const message = field(
  fc.record({ role: fc.constantFrom('system', 'developer', 'user', 'assistant', 'tool'), content, name: fc.option(fc.string(), { nil: undefined }) }, { requiredKeys: ['role', 'content'] }),
  fc.oneof(fc.record({ role: fc.constantFrom('function', 'toString', ''), content: fc.string() }), fc.record({ role: fc.constant('assistant'), tool_calls: fc.constant([]) }), junk),
);
const body = fc.record(
  {
    model: field(fc.constant('gpt-4o'), fc.oneof(fc.constant(''), junk)),
    messages: field(fc.array(message, { minLength: 1, maxLength: 3 }), fc.oneof(fc.constant([]), junk)),
    system: field(fc.option(fc.string({ maxLength: 4 }), { nil: undefined }), fc.oneof(fc.constant([{ type: 'text', text: 's' }]), junk)),
    keel: field(fc.option(fc.record({ feature: fc.constant('support'), user: fc.constant('u') }, { requiredKeys: [] }), { nil: undefined }), fc.oneof(fc.constant({ featur: 'x' }), junk)),
    temperature: fc.option(fc.double(), { nil: undefined }),
  },
  { requiredKeys: ['model', 'messages'] },
);

describe('the hand-written drop-in body reader', () => {
  for (const [name, shape] of Object.entries(SHAPES)) {
    it(`returns what the ${name} body schema returns, whenever it answers`, () => {
      const schema = bodySchema(shape);
      let read = 0;
      fc.assert(
        fc.property(body, (input) => {
          const fast = plainBody(shape, input);
          if (!fast) return;
          read++;
          const parsed = schema.safeParse(input);
          expect(parsed.success).toBe(true);
          expect(fast).toStrictEqual(parsed.data);
        }),
        { numRuns: 2_000 },
      );
      expect(read).toBeGreaterThan(100);
    });
  }
});
