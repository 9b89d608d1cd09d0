/**
 * keel.object over the wire, with the real `openai` and `@anthropic-ai/sdk` clients against the
 * testkit server: tolerant extraction, native mode where the schema fits (asserted on the body
 * the server received), the repair call, the typed error after it, and hostile output.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { KeelError } from '@keel/core';
import { bodyOf, messages, sentText, setup, type Wire } from './setup.js';

// Fits neither native mode: an optional field is outside OpenAI's strict subset, and an array at
// the root cannot be an Anthropic tool input. So both wires run in prompt mode.
const person = z.object({ name: z.string(), age: z.number(), note: z.string().optional() });
const PROMPT_SCHEMA: Record<Wire, z.ZodType<unknown>> = { openai: person, anthropic: z.array(person) };
const expected = { name: 'Ada', age: 36 };
const EXPECTED = { openai: expected, anthropic: [expected] } as const;

/** Each case writes the same person badly; `wrap` puts it in an array for the array schema. */
const EXTRACTION_CASES: readonly (readonly [string, (wrap: (doc: string) => string) => string])[] = [
  ['plain JSON', (wrap) => wrap('{"name": "Ada", "age": 36}')],
  ['a markdown fence', (wrap) => '```json\n' + wrap('{"name": "Ada", "age": 36}') + '\n```'],
  ['prose around the JSON', (wrap) => `Sure! Here it is: ${wrap('{"name": "Ada", "age": 36}')} Let me know if you need more.`],
  ['trailing commas', (wrap) => wrap('{"name": "Ada", "age": 36,}')],
  ['single quotes', (wrap) => wrap("{'name': 'Ada', 'age': 36}")],
  ['unquoted keys', (wrap) => wrap('{name: "Ada", age: 36}')],
  ['a partial object (cut before its closing braces)', (wrap) => wrap('{"name": "Ada", "age": 36').replace(/\]$/, '')],
];

describe.each(['openai', 'anthropic'] as const)('%s: prompt mode extraction', (wire: Wire) => {
  const wrap = wire === 'anthropic' ? (doc: string) => `[${doc}]` : (doc: string) => doc;

  it.each(EXTRACTION_CASES)('reads %s into the typed value', async (_name, write) => {
    await using env = await setup(wire, [{ type: 'ok', text: write(wrap) }]);
    const result = await env.keel.object({ feature: 'f', messages, schema: PROMPT_SCHEMA[wire] });
    expect(result.value).toEqual(EXPECTED[wire]);
    expect(result.mode).toBe('prompt');
    expect(result.repaired).toBe(false);
    expect(env.server.hits).toBe(1);
  });

  it('prompt mode sends the schema as an instruction and no native field', async () => {
    await using env = await setup(wire, [{ type: 'ok', text: wrap('{"name": "Ada", "age": 36}') }]);
    await env.keel.object({ feature: 'f', messages, schema: PROMPT_SCHEMA[wire] });
    const body = bodyOf(env.server.requests[0]);
    expect(body['response_format']).toBeUndefined();
    expect(body['tools']).toBeUndefined();
    expect(body['tool_choice']).toBeUndefined();
    expect(sentText(env.server.requests[0])).toContain('"required":["name","age"]');
  });
});

/** Whether `partial` could grow into `final`: its strings are prefixes, its other values equal. */
function isPrefixOf(partial: unknown, final: unknown): boolean {
  if (typeof partial === 'string') return typeof final === 'string' && final.startsWith(partial);
  if (typeof partial !== 'object' || partial === null) return partial === final;
  if (typeof final !== 'object' || final === null) return false;
  return Object.entries(partial).every(([key, value]) => isPrefixOf(value, (final as Record<string, unknown>)[key]));
}

describe('native mode, chosen when the schema fits', () => {
  const strict = z.object({ name: z.string(), age: z.number(), nickname: z.string().nullable() });

  it('openai: response_format json_schema strict, with the schema, and no instruction in the prompt', async () => {
    await using env = await setup('openai', [{ type: 'ok', text: '{"name":"Ada","age":36,"nickname":null}' }]);
    const result = await env.keel.object({ feature: 'f', messages, schema: strict, schemaName: 'person' });
    expect(result).toMatchObject({ value: { name: 'Ada', age: 36, nickname: null }, mode: 'native', provider: 'openai', model: 'gpt-4o-mini' });
    const body = bodyOf(env.server.requests[0]);
    expect(body['response_format']).toEqual({
      type: 'json_schema',
      json_schema: { name: 'person', strict: true, schema: expect.objectContaining({ type: 'object', additionalProperties: false, required: ['name', 'age', 'nickname'] }) },
    });
    expect(sentText(env.server.requests[0])).not.toContain('JSON Schema');
  });

  it('anthropic: a tool with the schema as input_schema, forced by tool_choice; the tool input is the answer', async () => {
    await using env = await setup('anthropic', [{ type: 'ok', text: '{"name":"Ada","age":36,"note":"first programmer"}' }]);
    const result = await env.keel.object({ feature: 'f', messages, schema: person, schemaName: 'person' });
    expect(result).toMatchObject({ value: { name: 'Ada', age: 36, note: 'first programmer' }, mode: 'native' });
    const body = bodyOf(env.server.requests[0]);
    expect(body['tool_choice']).toEqual({ type: 'tool', name: 'person' });
    expect(body['tools']).toEqual([expect.objectContaining({ name: 'person', input_schema: expect.objectContaining({ type: 'object', required: ['name', 'age'] }) })]);
  });

  it('openai: a schema outside the strict subset is not sent natively', async () => {
    await using env = await setup('openai', [{ type: 'ok', text: '{"name":"Ada","age":36}' }]);
    const result = await env.keel.object({ feature: 'f', messages, schema: person });
    expect(result.mode).toBe('prompt');
    expect(bodyOf(env.server.requests[0])['response_format']).toBeUndefined();
  });

  it.each(['openai', 'anthropic'] as const)('%s: a native stream yields validated partial values, then the final one', async (wire) => {
    const schema = wire === 'openai' ? strict : person;
    const text = wire === 'openai' ? '{"name": "Ada Lovelace", "age": 36, "nickname": null}' : '{"name": "Ada Lovelace", "age": 36}';
    await using env = await setup(wire, [{ type: 'ok', text }]);
    const stream = env.keel.objectStream({ feature: 'f', messages, schema });
    const partials: unknown[] = [];
    for await (const partial of stream) partials.push(partial);
    const result = await stream.result();
    expect(result.value).toEqual(JSON.parse(text));
    expect(result.mode).toBe('native');
    expect(partials.length).toBeGreaterThan(1);
    // Every partial is a prefix of the answer: never a wrong value, only missing or unfinished ones.
    for (const partial of partials) expect(isPrefixOf(partial, JSON.parse(text))).toBe(true);
    expect(partials.at(-1)).toEqual(JSON.parse(text));
    expect(bodyOf(env.server.requests[0])['stream']).toBe(true);
  });
});

describe.each(['openai', 'anthropic'] as const)('%s: repair', (wire: Wire) => {
  const schema = PROMPT_SCHEMA[wire];
  const wrap = wire === 'anthropic' ? (doc: string) => `[${doc}]` : (doc: string) => doc;

  it('one repair call with the zod issues sent back, charged like any call', async () => {
    await using env = await setup(wire, [
      { type: 'ok', text: wrap('{"name": "Ada", "age": "thirty-six"}') },
      { type: 'ok', text: wrap('{"name": "Ada", "age": 36}') },
    ]);
    const result = await env.keel.object({ feature: 'f', messages, schema });
    expect(result.value).toEqual(EXPECTED[wire]);
    expect(result.repaired).toBe(true);
    expect(env.server.hits).toBe(2);
    const repairText = sentText(env.server.requests[1]);
    expect(repairText).toContain('age: Invalid input: expected number, received string');
    // Both calls are counted: usage and cost are the two calls' sums.
    const served = env.server.requests.reduce((sum, r) => sum + r.served.inputTokens, 0);
    expect(result.usage.inputTokens).toBe(served);
    expect(result.steps).toEqual([expect.objectContaining({ outcome: 'accepted', calls: 2 })]);
    expect(result.costUsd).toBeGreaterThan(0);
  });

  it('still invalid after the repair: a validation KeelError with the issues and a SHA-256 of the raw text, not the text', async () => {
    const bad = wrap('{"name": 7, "age": 36}');
    await using env = await setup(wire, [{ type: 'ok', text: bad }, { type: 'ok', text: bad }]);
    const error = await env.keel.object({ feature: 'f', messages, schema }).catch((e: unknown) => e);
    expect(KeelError.is(error)).toBe(true);
    const keelError = error as KeelError;
    expect(keelError.kind).toBe('validation');
    expect(keelError.issues?.[0]).toMatch(/name: Invalid input: expected string, received number/);
    expect(keelError.output?.sha256).toBe(createHash('sha256').update(bad).digest('hex'));
    expect(keelError.output?.text).toBeUndefined();
    expect(JSON.stringify(keelError)).not.toContain('Ada');
    expect(env.server.hits).toBe(2);
  });

  it('with dangerouslyLogPrompts the error keeps the raw text (but toJSON still prints only the hash)', async () => {
    const bad = wrap('{"name": 7, "age": 36}');
    await using env = await setup(wire, [{ type: 'ok', text: bad }, { type: 'ok', text: bad }], {}, { logPrompts: true });
    const error = (await env.keel.object({ feature: 'f', messages, schema }).catch((e: unknown) => e)) as KeelError;
    expect(error.output?.text).toBe(bad);
    expect(JSON.stringify(error)).not.toContain('"name": 7');
  });
});

describe.each(['openai', 'anthropic'] as const)('%s: hostile output', (wire: Wire) => {
  const schema = z.looseObject({ name: z.string() });
  const wrap = (doc: string) => doc;
  // Anthropic would run natively (object root) and the testkit answers with a tool input; a plain
  // prompt-mode schema keeps the hostile text as the model's own text on both wires.
  const prompt: z.ZodType<unknown> = wire === 'anthropic' ? z.array(schema) : schema.extend({ note: z.string().optional() });
  const arr = wire === 'anthropic' ? (doc: string) => `[${doc}]` : wrap;

  async function fails(text: string) {
    await using env = await setup(wire, [{ type: 'ok', text, ignoreMaxTokens: true }]);
    const error = (await env.keel.object({ feature: 'f', messages, schema: prompt }).catch((e: unknown) => e)) as KeelError;
    // Hostile output is not worth a repair: one call, then the typed error.
    return { error, hits: env.server.hits };
  }

  it('a "__proto__" key: validation error, nothing polluted', async () => {
    const { error, hits } = await fails(arr('{"name": "x", "__proto__": {"polluted": true}}'));
    expect(error.kind).toBe('validation');
    expect(error.issues).toEqual([expect.stringContaining('"__proto__"')]);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(hits).toBe(1);
  });

  it('a "constructor.prototype" key: validation error, nothing polluted', async () => {
    const { error } = await fails(arr('{"name": "x", "constructor": {"prototype": {"polluted": true}}}'));
    expect(error.kind).toBe('validation');
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('10,000-deep nesting: validation error from the depth cap, before any parser', async () => {
    const { error, hits } = await fails(arr(`{"name": ${'['.repeat(10_000)}${']'.repeat(10_000)}}`));
    expect(error.kind).toBe('validation');
    expect(error.issues).toEqual(['output: nested deeper than 64 levels']);
    expect(hits).toBe(1);
  });

  it('a 10 MB body: validation error from the size cap, before any scan', async () => {
    const { error, hits } = await fails(arr(`{"name": "${'x'.repeat(10 * 1024 * 1024)}"}`));
    expect(error.kind).toBe('validation');
    expect(error.issues?.[0]).toMatch(/^output: \d+ characters, over the 1048576 limit$/);
    expect(error.output?.length).toBeGreaterThan(10 * 1024 * 1024);
    expect(hits).toBe(1);
  });
});

describe('repair and the budget', () => {
  it('a repair the budget cannot afford is not sent: the first answer\'s validation error, not budget_exceeded', async () => {
    // 250 tokens a day: the first call (input + 100 reserved) fits; after it settles, the repair's
    // reservation (a longer prompt + 100) does not.
    const budget = { limits: [{ scope: 'feature' as const, unit: 'tokens' as const, limit: 250, window: 'day' as const }] };
    await using env = await setup('openai', [{ type: 'ok', text: '{"name": 7}' }, { type: 'ok', text: '{"name": "Ada", "age": 36}' }], { maxTokens: 100, budget });
    const error = (await env.keel.object({ feature: 'f', messages, schema: person }).catch((e: unknown) => e)) as KeelError;
    expect(error.kind).toBe('validation');
    expect(error.issues).toContain('name: Invalid input: expected string, received number');
    expect(env.server.hits).toBe(1);
  });
});
