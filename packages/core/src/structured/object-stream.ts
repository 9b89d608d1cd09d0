import type { ChatResult } from '../pipeline/result.js';
import { KeelError } from '../errors/keel-error.js';
import { ALL_CHECKS, judgeAnswer } from './gate.js';
import { nativeOutputSchema } from './json-schema.js';
import { DEFAULT_OUTPUT_LIMITS } from './limits.js';
import { messagesFor, planMode, type ObjectRequest, type ObjectResult, type StructuredDeps } from './object.js';
import { answerError } from './output-error.js';
import { parseModelJson } from './parse.js';
import { repairMessages } from './prompt.js';
import { isValidPartial } from './validate.js';

/** A value as a stream has it so far: any field may still be missing. */
export type PartialValue<T> = T extends readonly (infer Item)[]
  ? PartialValue<Item>[]
  : T extends object
    ? { [K in keyof T]?: PartialValue<T[K]> }
    : T;

/** `keel.objectStream(...)`: iterate for validated partial values; `result()` for the final one. */
export interface ObjectStream<T> extends AsyncIterable<PartialValue<T>> {
  /** The validated final value (reads the rest of the stream if it was not iterated). */
  result(): Promise<ObjectResult<T>>;
}

/**
 * Text grown by less than this share since the last parse is not parsed again: re-parsing a
 * growing answer on every delta would cost O(n²); this keeps the total work a small multiple
 * of the output's length.
 */
const REPARSE_GROWTH = 1 / 8;

/**
 * Streams one structured call over the feature's candidates (no cascade: partials already
 * shown cannot be taken back). Each partial is yielded only when it parses and is a valid prefix
 * of the schema (see `isValidPartial`) and differs from the last one. The final answer is judged
 * like `keel.object`'s; a schema failure gets one repair call (not streamed).
 */
export function streamObject<T>(deps: StructuredDeps, request: ObjectRequest<T>): ObjectStream<T> {
  const { schema, schemaName, accept: _accept, ...chatRequest } = request;
  const feature = deps.feature(chatRequest.feature);
  const output = nativeOutputSchema(schema, schemaName);
  const mode = planMode(deps, feature?.models[0], output);
  const options = { outputSchema: mode === 'native' ? output : undefined };
  const messages = messagesFor(chatRequest.messages, mode, schema);
  const limits = deps.limits ?? DEFAULT_OUTPUT_LIMITS;
  const stream = deps.stream({ ...chatRequest, messages }, options);
  let final: Promise<ObjectResult<T>> | undefined;
  let iterated = false;
  let resolveFinal!: (value: ObjectResult<T>) => void;
  let rejectFinal!: (error: unknown) => void;

  async function* partials(): AsyncGenerator<PartialValue<T>, void, undefined> {
    let text = '';
    let parsedAt = 0;
    let last = '';
    let streamed: ChatResult | undefined;
    try {
      const partial = (): PartialValue<T> | undefined => {
        parsedAt = text.length;
        const parsed = parseModelJson(text, limits);
        if (!parsed.ok || !isValidPartial(schema, parsed.value)) return undefined;
        const key = JSON.stringify(parsed.value);
        if (key === last) return undefined;
        last = key;
        return parsed.value as PartialValue<T>;
      };
      for await (const event of stream) {
        if (event.type === 'finish') streamed = event.result;
        if (event.type !== 'text') continue;
        text += event.text;
        if (text.length > limits.maxChars || text.length - parsedAt < Math.max(1, parsedAt * REPARSE_GROWTH)) continue;
        const value = partial();
        if (value !== undefined) yield value;
      }
      // The throttle may have skipped the last deltas: the last partial is the whole answer.
      if (parsedAt < text.length && text.length <= limits.maxChars) {
        const value = partial();
        if (value !== undefined) yield value;
      }
      if (!streamed) throw new KeelError('truncated', 'Stream ended without a result');
      resolveFinal(await finish(streamed));
    } catch (error) {
      rejectFinal(error);
      throw error;
    } finally {
      // A consumer who stopped early gets no final value (a no-op once settled).
      rejectFinal(new KeelError('aborted', 'The object stream was not read to its end'));
    }
  }

  async function finish(first: ChatResult): Promise<ObjectResult<T>> {
    let result = first;
    let verdict = judgeAnswer(first, schema, ALL_CHECKS, limits);
    let repaired = false;
    if (!verdict.pass && verdict.reason === 'schema' && !verdict.hostile) {
      result = await deps.chat({ ...chatRequest, messages: repairMessages(messages, first.text, verdict.issues) }, options);
      repaired = true;
      verdict = judgeAnswer(result, schema, ALL_CHECKS, limits);
    }
    if (!verdict.pass) {
      throw answerError({ reason: verdict.reason, issues: verdict.issues, text: result.text, provider: result.provider, model: result.model }, deps.logPrompts);
    }
    const calls = repaired ? [first, result] : [first];
    const costUsd = calls.every((call) => call.costUsd === undefined) ? undefined : calls.reduce((sum, call) => sum + (call.costUsd ?? 0), 0);
    return {
      value: verdict.value,
      provider: result.provider,
      model: result.model,
      mode,
      repaired,
      budgetLimited: false,
      steps: [{ provider: result.provider, model: result.model, outcome: 'accepted', calls: calls.length, costUsd }],
      costUsd,
      usage: calls.reduce((sum, call) => ({ inputTokens: sum.inputTokens + call.usage.inputTokens, outputTokens: sum.outputTokens + call.usage.outputTokens }), { inputTokens: 0, outputTokens: 0 }),
    };
  }

  const settle = () => {
    if (!final) {
      final = new Promise<ObjectResult<T>>((resolve, reject) => {
        resolveFinal = resolve;
        rejectFinal = reject;
      });
      // Read by `result()`; an iterating caller who never asks must not see an unhandled rejection.
      final.catch(() => undefined);
    }
    return final;
  };

  return {
    [Symbol.asyncIterator]() {
      if (iterated) throw new KeelError('bad_request', 'An object stream can be read only once');
      iterated = true;
      void settle();
      return partials();
    },
    async result() {
      const settled = settle();
      if (!iterated) {
        iterated = true;
        for await (const _partial of partials()) {
          // Drained for the final value.
        }
      }
      return settled;
    },
  };
}
