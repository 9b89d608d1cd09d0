import { jsonrepair } from 'jsonrepair';
import secureJson from 'secure-json-parse';
import { DEFAULT_OUTPUT_LIMITS, type OutputLimits } from './limits.js';
import { locateJson } from './locate.js';

/** Why output could not be read as JSON. `hostile` failures are not worth a repair attempt. */
export interface ParseFailure {
  readonly ok: false;
  readonly reason: 'no_json' | 'unparseable' | 'too_large' | 'too_deep' | 'prototype_key';
  readonly hostile: boolean;
  readonly issue: string;
}

export type ParseOutcome = { readonly ok: true; readonly value: unknown; readonly complete: boolean } | ParseFailure;

const failure = (reason: ParseFailure['reason'], issue: string): ParseFailure => ({
  ok: false,
  reason,
  hostile: reason === 'too_large' || reason === 'too_deep' || reason === 'prototype_key',
  issue,
});

/**
 * Reads a JSON value out of model output, tolerantly: fences, prose around the JSON, trailing
 * commas, single quotes, unquoted keys and a cut-off end are repaired (jsonrepair). The size
 * and depth caps are checked first (constant time and one bounded scan); `__proto__` and
 * `constructor.prototype` keys are refused by secure-json-parse, so nothing downstream can be
 * polluted.
 */
export function parseModelJson(text: string, limits: OutputLimits = DEFAULT_OUTPUT_LIMITS): ParseOutcome {
  if (text.length > limits.maxChars) {
    return failure('too_large', `output: ${text.length} characters, over the ${limits.maxChars} limit`);
  }
  const located = locateJson(text, limits.maxDepth);
  if (!located.ok) {
    return located.reason === 'too_deep'
      ? failure('too_deep', `output: nested deeper than ${limits.maxDepth} levels`)
      : failure('no_json', 'output: no JSON object or array found');
  }
  // Valid JSON (the common case) is parsed once; anything else gets one repair pass.
  const direct = parseSecure(located.json);
  if (direct !== UNPARSEABLE) return direct === PROTOTYPE ? prototypeFailure() : { ok: true, value: direct.value, complete: located.complete };
  if (located.json.length > limits.maxRepairChars) {
    return failure('unparseable', `output: not valid JSON, and ${located.json.length} characters is over the ${limits.maxRepairChars} the repair pass runs on`);
  }
  let repaired: string;
  try {
    repaired = jsonrepair(located.json);
  } catch {
    return failure('unparseable', 'output: not JSON, and not repairable');
  }
  const second = parseSecure(repaired);
  if (second === UNPARSEABLE) return failure('unparseable', 'output: not JSON, and not repairable');
  return second === PROTOTYPE ? prototypeFailure() : { ok: true, value: second.value, complete: located.complete };
}

const UNPARSEABLE = Symbol('unparseable');
const PROTOTYPE = Symbol('prototype');

const prototypeFailure = () => failure('prototype_key', 'output: a "__proto__" or "constructor.prototype" key (refused)');

function parseSecure(json: string): { value: unknown } | typeof UNPARSEABLE | typeof PROTOTYPE {
  try {
    return { value: secureJson.parse(json, null, { protoAction: 'error', constructorAction: 'error' }) as unknown };
  } catch (error) {
    // secure-json-parse words its refusals "Object contains forbidden prototype property".
    return error instanceof SyntaxError && /prototype property/.test(error.message) ? PROTOTYPE : UNPARSEABLE;
  }
}
