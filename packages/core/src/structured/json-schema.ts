import { z } from 'zod';
import type { NativeOutputSchema } from '../provider/provider.js';

const cache = new WeakMap<z.ZodType, Readonly<Record<string, unknown>>>();

/**
 * The caller's zod schema as JSON Schema (draft 2020-12, what zod 4's `z.toJSONSchema` writes),
 * computed once per schema object. Parts JSON Schema cannot say (transforms, custom checks)
 * become `{}`; zod still enforces them when the answer is validated.
 */
export function jsonSchemaOf(schema: z.ZodType): Readonly<Record<string, unknown>> {
  let json = cache.get(schema);
  if (!json) {
    const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'output', unrepresentable: 'any' }) as Record<string, unknown>;
    json = rest;
    cache.set(schema, json);
  }
  return json;
}

/** A wire-safe name for the schema (OpenAI: `^[a-zA-Z0-9_-]{1,64}$`). */
export function schemaName(name: string | undefined): string {
  const cleaned = (name ?? 'output').replace(/[^a-zA-Z0-9_-]/g, '_').slice(0, 64);
  return cleaned || 'output';
}

export function nativeOutputSchema(schema: z.ZodType, name: string | undefined): NativeOutputSchema {
  return { name: schemaName(name), schema: jsonSchemaOf(schema), strict: true };
}
