import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chatRequestSchema, validateRequest } from '../src/config/request.js';
import { acceptPlainRequest } from '../src/config/request-fast.js';

/** Mostly a valid value, now and then a near miss of the field's rule: both answers get reached. */
const field = <T, U>(valid: fc.Arbitrary<T>, invalid: fc.Arbitrary<U>) => fc.oneof({ weight: 12, arbitrary: valid }, { weight: 1, arbitrary: invalid });
const junk = fc.oneof(fc.constant(null), fc.string({ maxLength: 3 }), fc.integer(), fc.double(), fc.boolean(), fc.constant({}), fc.constant([]));
const name = (valid: string) => field(fc.constantFrom(undefined, valid), fc.oneof(fc.constant(''), junk));
const count = (max: number) => field(fc.option(fc.integer({ min: 1, max }), { nil: undefined }), fc.constantFrom(0, -1, 1.5, 2 ** 53, Number.NaN, '3', max + 1));
const message = field(
  fc.record({ role: fc.constantFrom('system', 'user', 'assistant'), content: fc.string({ maxLength: 5 }) }),
  fc.oneof(
    fc.record({ role: fc.constantFrom('tool', ''), content: fc.string() }),
    fc.record({ role: fc.constant('user'), content: fc.constant(null) }),
    fc.record({ role: fc.constant('user'), content: fc.string(), name: fc.string() }),
    fc.record({ role: fc.constant('user') }),
    junk,
  ),
);
const request = fc.record(
  {
    feature: field(fc.constant('support'), fc.oneof(fc.constant(''), fc.constant(undefined), junk)),
    messages: field(fc.array(message, { minLength: 1, maxLength: 3 }), fc.oneof(fc.constant([]), fc.constant(undefined), junk)),
    user: name('u1'),
    tenant: name('t1'),
    model: name('gpt-4o'),
    maxTokens: count(100_000),
    choices: count(128),
    uncountedInputTokens: field(fc.option(fc.nat(), { nil: undefined }), fc.constantFrom(-1, 0.5, '2')),
    temperature: field(fc.option(fc.double({ min: 0, max: 2, noNaN: true }), { nil: undefined }), fc.constantFrom(-0.1, 2.1, Infinity, Number.NaN, '1')),
    signal: field(fc.constantFrom(undefined, new AbortController().signal), fc.constant({ aborted: false })),
    extra: field(fc.constantFrom(undefined, { tools: [] }), fc.constantFrom([], null, 'x')),
    deadlineMs: field(fc.option(fc.constantFrom(1, 5_000, 2_147_483_647), { nil: undefined }), fc.constantFrom(0, -5, 2_147_483_648, 1.5)),
    unknownField: field(fc.constant(undefined), fc.constant(1)),
  },
  { requiredKeys: ['feature', 'messages'] },
);

describe('the hand-written request check', () => {
  it('accepts exactly what the zod schema accepts, with the same result', () => {
    let accepted = 0;
    fc.assert(
      fc.property(request, (input) => {
        const fast = acceptPlainRequest(input);
        const parsed = chatRequestSchema.safeParse(input);
        expect(fast !== undefined).toBe(parsed.success);
        if (fast) expect(fast).toStrictEqual(parsed.data);
        if (fast) accepted++;
      }),
      { numRuns: 2_000 },
    );
    // The generator must reach both answers, or the comparison proves little.
    expect(accepted).toBeGreaterThan(20);
  });

  it('copies the messages, so a caller mutating them after the call changes nothing', () => {
    const messages = [{ role: 'user' as const, content: 'hi' }];
    const validated = validateRequest({ feature: 'support', messages });
    messages[0]!.content = 'changed';
    expect(validated.messages).toEqual([{ role: 'user', content: 'hi' }]);
  });

  it('leaves anything unusual to zod, which words the errors', () => {
    class Request {
      feature = 'support';
      messages = [{ role: 'user', content: 'hi' }];
    }
    expect(acceptPlainRequest(new Request())).toBeUndefined();
    expect(() => validateRequest({ feature: 'support', messages: [] })).toThrow(/at least one message is required/);
  });
});
