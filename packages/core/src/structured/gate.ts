import type { z } from 'zod';
import type { ResolvedCascade } from '../pipeline/cascade-schema.js';
import type { ChatResult } from '../pipeline/result.js';
import type { OutputLimits } from './limits.js';
import { parseModelJson } from './parse.js';
import { validateValue } from './validate.js';

/** Why a step's answer did not pass the gate. */
export type GateReason = 'schema' | 'empty' | 'refusal' | 'truncated' | 'predicate' | 'confidence';

export type GateVerdict<T> =
  | { readonly pass: true; readonly value: T }
  | {
      readonly pass: false;
      readonly reason: GateReason;
      readonly issues: readonly string[];
      /** A schema-valid value the answer still held (a truncated or predicate-rejected one). */
      readonly value?: T | undefined;
      /** Output no repair can fix (too large, too deep, prototype keys): escalate or fail at once. */
      readonly hostile: boolean;
    };

export type GateChecks = ResolvedCascade['gate'];

export const ALL_CHECKS: GateChecks = { nonEmpty: true, refusal: true, truncated: true };

/** An answer that declines rather than answers: no JSON, and it opens like a refusal. */
const REFUSAL_OPENING = /^\s*(?:I['’]m sorry|I am sorry|Sorry|I can(?:not|['’]t)|I am unable|I['’]m unable|I won['’]t|I will not|As an AI)\b/i;

export function looksLikeRefusal(text: string): boolean {
  return REFUSAL_OPENING.test(text.slice(0, 200));
}

/** `{}`, `[]`, `""`, `null`, or an object / array of only such values. */
export function isEmptyValue(value: unknown, depth = 0): boolean {
  if (value === null || value === undefined || value === '') return true;
  if (depth > 64) return false;
  if (Array.isArray(value)) return value.every((item) => isEmptyValue(item, depth + 1));
  if (typeof value === 'object') return Object.values(value).every((item) => isEmptyValue(item, depth + 1));
  return false;
}

/** The synchronous part of the gate: truncation, emptiness, refusal, JSON, schema. */
export function judgeAnswer<T>(result: ChatResult, schema: z.ZodType<T>, checks: GateChecks, limits: OutputLimits): GateVerdict<T> {
  const { text } = result;
  if (checks.nonEmpty && text.trim() === '') return { pass: false, reason: 'empty', issues: ['output: empty'], hostile: false };
  const parsed = parseModelJson(text, limits);
  if (!parsed.ok) {
    if (parsed.reason === 'no_json' && checks.refusal && looksLikeRefusal(text)) {
      return { pass: false, reason: 'refusal', issues: ['output: the model declined'], hostile: false };
    }
    const reason = result.finishReason === 'length' && checks.truncated && !parsed.hostile ? 'truncated' : 'schema';
    return { pass: false, reason, issues: [parsed.issue], hostile: parsed.hostile };
  }
  const validated = validateValue(schema, parsed.value);
  // A partial object that still validates is an answer; only the output cap makes it truncated.
  const truncated = result.finishReason === 'length';
  if (!validated.ok) {
    return { pass: false, reason: truncated && checks.truncated ? 'truncated' : 'schema', issues: validated.issues, hostile: false };
  }
  if (truncated && checks.truncated) {
    return { pass: false, reason: 'truncated', issues: ['output: cut short at the output cap'], value: validated.value, hostile: false };
  }
  if (checks.nonEmpty && isEmptyValue(validated.value)) {
    return { pass: false, reason: 'empty', issues: ['output: an empty value'], hostile: false };
  }
  const confidence = meanTokenProbability(result.logprobs);
  if (checks.minConfidence !== undefined && confidence !== undefined && confidence < checks.minConfidence) {
    const issue = `output: confidence ${confidence.toFixed(3)} is under ${checks.minConfidence}`;
    return { pass: false, reason: 'confidence', issues: [issue], value: validated.value, hostile: false };
  }
  return { pass: true, value: validated.value };
}

/** exp(mean logprob): the geometric mean of the output tokens' probabilities; undefined without logprobs. */
export function meanTokenProbability(logprobs: readonly number[] | undefined): number | undefined {
  if (!logprobs || logprobs.length === 0) return undefined;
  return Math.exp(logprobs.reduce((sum, lp) => sum + lp, 0) / logprobs.length);
}
