import { MAX_TIMER_MS } from './schema.js';
import type { ValidatedRequest } from './request.js';

/**
 * The common call, checked by hand: a plain object whose every field is one `chatRequestSchema`
 * accepts. It returns what the schema would (a copy, messages copied too), or `undefined` for
 * anything else — then the zod schema decides and words the errors. So zod runs only for the
 * unusual or the invalid, not on every call. The property test in test/config-fast.test.ts
 * holds the two to the same answers.
 */
export function acceptPlainRequest(request: unknown): ValidatedRequest | undefined {
  if (!isPlainObject(request)) return undefined;
  for (const key in request) if (!REQUEST_KEYS.has(key)) return undefined;
  const { feature, messages, user, tenant, model, maxTokens, choices, uncountedInputTokens, temperature, signal, extra, deadlineMs } = request;
  if (!isName(feature)) return undefined;
  if (!Array.isArray(messages) || messages.length === 0) return undefined;
  const copied: { role: 'system' | 'user' | 'assistant'; content: string }[] = [];
  for (const message of messages as unknown[]) {
    if (!isPlainObject(message)) return undefined;
    const { role, content } = message;
    if ((role !== 'user' && role !== 'system' && role !== 'assistant') || typeof content !== 'string') return undefined;
    for (const key in message) if (key !== 'role' && key !== 'content') return undefined;
    copied.push({ role, content });
  }
  if (!optional(user, isName) || !optional(tenant, isName) || !optional(model, isName)) return undefined;
  if (!optional(maxTokens, isPositiveInt) || !optional(choices, isChoices) || !optional(uncountedInputTokens, isCount)) return undefined;
  if (!optional(temperature, isTemperature) || !optional(signal, isSignal) || !optional(extra, isRecord) || !optional(deadlineMs, isDeadline)) return undefined;
  return { ...request, messages: copied } as ValidatedRequest;
}

const REQUEST_KEYS: ReadonlySet<string> = new Set([
  'feature',
  'messages',
  'user',
  'tenant',
  'model',
  'maxTokens',
  'choices',
  'uncountedInputTokens',
  'temperature',
  'signal',
  'extra',
  'deadlineMs',
]);

/** An object literal (or `Object.create(null)`): no getters from a class, no inherited keys. */
function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

const isName = (value: unknown): value is string => typeof value === 'string' && value.length > 0;
const isInt = (value: unknown): value is number => Number.isSafeInteger(value);
const optional = (value: unknown, check: (value: unknown) => boolean): boolean => value === undefined || check(value);
// The field checks, built once (inline arrows would be new closures on every call).
const isPositiveInt = (n: unknown) => isInt(n) && n > 0;
const isChoices = (n: unknown) => isInt(n) && n > 0 && n <= 128;
const isCount = (n: unknown) => isInt(n) && n >= 0;
const isTemperature = (t: unknown) => typeof t === 'number' && t >= 0 && t <= 2;
const isSignal = (s: unknown) => s instanceof AbortSignal;
const isRecord = (e: unknown) => typeof e === 'object' && e !== null && !Array.isArray(e);
const isDeadline = (n: unknown) => isInt(n) && n > 0 && n <= MAX_TIMER_MS;
