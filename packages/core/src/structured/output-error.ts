import { createHash } from 'node:crypto';
import { KeelError } from '../errors/keel-error.js';
import type { GateReason } from './gate.js';

export interface FailedAnswer {
  readonly reason: GateReason;
  readonly issues: readonly string[];
  readonly text: string;
  readonly provider: string;
  readonly model: string;
}

const MESSAGES: Record<GateReason, string> = {
  schema: 'The model output does not match the schema',
  empty: 'The model output is empty',
  refusal: 'The model declined to answer',
  truncated: 'The model output was cut short at the output cap',
  predicate: 'The model output was rejected by the accept predicate',
  confidence: 'The model was not confident enough in its output',
};

/**
 * The error a structured call ends with: `validation` for a bad or empty answer (carrying zod's
 * issues and a SHA-256 of the raw text; the text itself only with `dangerouslyLogPrompts`),
 * `refusal` or `truncated` for those gates.
 */
export function answerError(failed: FailedAnswer, logPrompts: boolean): KeelError {
  const kind = failed.reason === 'refusal' ? 'refusal' : failed.reason === 'truncated' ? 'truncated' : 'validation';
  return new KeelError(kind, `${MESSAGES[failed.reason]} (${failed.issues.length} issue${failed.issues.length === 1 ? '' : 's'})`, {
    provider: failed.provider,
    model: failed.model,
    issues: failed.issues,
    output: {
      sha256: createHash('sha256').update(failed.text).digest('hex'),
      length: failed.text.length,
      ...(logPrompts ? { text: failed.text } : {}),
    },
  });
}
