import type { z } from 'zod';

export type Validated<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly issues: readonly string[] };

/** Zod's issues as `path: message` lines (no values: they can echo the prompt). */
export function issueLines(issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.map((issue) => {
    const path = issue.path.map(String).join('.');
    return path ? `${path}: ${issue.message}` : issue.message;
  });
}

export function validateValue<T>(schema: z.ZodType<T>, value: unknown): Validated<T> {
  const parsed = schema.safeParse(value);
  return parsed.success ? { ok: true, value: parsed.data } : { ok: false, issues: issueLines(parsed.error.issues) };
}

/**
 * Whether `value` is a valid prefix of a `schema` value, as a stream has it so far: every issue
 * is about a value that has not arrived yet (its path leads to `undefined`). A wrong type or a
 * value out of its enum is not a partial, it is wrong.
 */
export function isValidPartial(schema: z.ZodType, value: unknown): boolean {
  const parsed = schema.safeParse(value);
  if (parsed.success) return true;
  return parsed.error.issues.every((issue) => issue.path.length > 0 && valueAt(value, issue.path) === undefined);
}

function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  let current = value;
  for (const key of path) {
    if (typeof current !== 'object' || current === null || !Object.hasOwn(current, key)) return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}
