import type { BudgetScope, BudgetUnit } from './schema.js';
import { windowTag, type WindowSpec } from './windows.js';

/** Who a call is charged to. */
export interface BudgetSubject {
  readonly feature: string;
  readonly user?: string | undefined;
  readonly tenant?: string | undefined;
}

// Ids are user input: encoded so that no id can forge another key's separators.
const encode = encodeURIComponent;

/**
 * A limit's key, split around the one per-call part (the user or tenant id) so a feature's keys
 * are built once and a call only encodes its ids. Format:
 * `budget:<scope>:<unit>:<window>`, scope being `global`, `f=<feature>`, `f=<feature>/u=<user>`
 * or `f=<feature>/t=<tenant>`.
 */
export type KeyTemplate =
  /** A scope with no per-call part: `whole` is the key, built once for every call. */
  | { readonly scope: 'global' | 'feature'; readonly prefix: string; readonly suffix: string; readonly whole: string }
  | { readonly scope: 'user' | 'tenant'; readonly prefix: string; readonly suffix: string };

export function keyTemplate(feature: string, scope: BudgetScope, unit: BudgetUnit, window: WindowSpec): KeyTemplate {
  const suffix = `:${unit}:${windowTag(window)}`;
  switch (scope) {
    case 'global':
    case 'feature': {
      const prefix = scope === 'global' ? 'budget:global' : `budget:f=${encode(feature)}`;
      return { scope, prefix, suffix, whole: prefix + suffix };
    }
    case 'user':
      return { scope, prefix: `budget:f=${encode(feature)}/u=`, suffix };
    case 'tenant':
      return { scope, prefix: `budget:f=${encode(feature)}/t=`, suffix };
  }
}

/**
 * The key for one call, or `undefined` when the scope names an id the call lacks (a `user`
 * limit on a call without a user): per-user and per-tenant limits apply to calls that say who
 * they are for; the feature and global limits still bind the rest.
 */
export function keyFor(template: KeyTemplate, subject: BudgetSubject): string | undefined {
  switch (template.scope) {
    case 'global':
    case 'feature':
      // Built once: a fresh concatenation per call would also be hashed afresh by every Map lookup.
      return template.whole;
    case 'user':
      return subject.user === undefined ? undefined : template.prefix + encode(subject.user) + template.suffix;
    case 'tenant':
      return subject.tenant === undefined ? undefined : template.prefix + encode(subject.tenant) + template.suffix;
  }
}

/** The key of one limit for one subject. */
export function budgetKey(scope: BudgetScope, unit: BudgetUnit, window: WindowSpec, subject: BudgetSubject): string | undefined {
  return keyFor(keyTemplate(subject.feature, scope, unit, window), subject);
}
