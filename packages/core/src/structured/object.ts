import type { z } from 'zod';
import type { ChatRequest } from '../config/request.js';
import { KeelError } from '../errors/keel-error.js';
import type { ModelRef } from '../config/schema.js';
import type { ChatMessage, Usage } from '../provider/messages.js';
import type { NativeOutputSchema, Provider } from '../provider/provider.js';
import { runCascade, type CascadeStepReport, type StepOutcome } from '../pipeline/cascade.js';
import type { ResolvedCascade } from '../pipeline/cascade-schema.js';
import type { ChatResult } from '../pipeline/result.js';
import type { KeelStream } from '../pipeline/stream.js';
import { ALL_CHECKS, judgeAnswer, type GateChecks, type GateVerdict } from './gate.js';
import { jsonSchemaOf, nativeOutputSchema } from './json-schema.js';
import { DEFAULT_OUTPUT_LIMITS, type OutputLimits } from './limits.js';
import { answerError } from './output-error.js';
import { repairMessages, withSchemaInstruction } from './prompt.js';
import { supportsNative } from './native.js';
import type { StepOptions } from './step-options.js';

/** Who answered, for an `accept` predicate. */
export interface AnswerInfo {
  readonly provider: string;
  readonly model: string;
}

/** `keel.object(...)`: a chat request plus the zod schema its answer must match. */
export interface ObjectRequest<T> extends ChatRequest {
  readonly schema: z.ZodType<T>;
  /** Names the schema on the wire (OpenAI `json_schema.name`, Anthropic's tool). @default 'output' */
  readonly schemaName?: string | undefined;
  /** The cascade's user gate: a schema-valid value it rejects escalates (sync or async, e.g. a judge model). */
  readonly accept?: ((value: T, answered: AnswerInfo) => boolean | Promise<boolean>) | undefined;
}

export interface ObjectResult<T> {
  /** The validated value. */
  readonly value: T;
  /** The provider and model whose answer this is. */
  readonly provider: string;
  readonly model: string;
  /** `native`: the provider enforced the schema; `prompt`: instructed and extracted tolerantly. */
  readonly mode: 'native' | 'prompt';
  /** True when the value came from the repair call. */
  readonly repaired: boolean;
  /**
   * True when a stronger cascade step was not tried because the budget could not afford it: this
   * is a cheaper step's schema-valid answer that did not pass every gate (see `steps`).
   */
  readonly budgetLimited: boolean;
  /** Every cascade step (one for a feature without a cascade): who, why it was left, what it cost. */
  readonly steps: readonly CascadeStepReport[];
  /** All calls' cost in US dollars; undefined when none was priced. */
  readonly costUsd: number | undefined;
  /** All calls' usage added up. */
  readonly usage: Usage;
}

export interface StructuredFeature {
  readonly models: readonly ModelRef[];
  readonly cascade: ResolvedCascade | undefined;
}

export interface StructuredDeps {
  readonly chat: (request: ChatRequest, options: StepOptions) => Promise<ChatResult>;
  readonly stream: (request: ChatRequest, options: StepOptions) => KeelStream;
  readonly feature: (name: string) => StructuredFeature | undefined;
  readonly provider: (id: string) => Provider | undefined;
  readonly logPrompts: boolean;
  readonly limits?: OutputLimits | undefined;
}

interface Answer<T> {
  readonly value: T;
  readonly result: ChatResult;
  readonly mode: 'native' | 'prompt';
  readonly repaired: boolean;
}

/** Prompt or native mode for one step: decided on the step's model (or the feature's primary). */
export function planMode(deps: StructuredDeps, ref: ModelRef | undefined, output: NativeOutputSchema): 'native' | 'prompt' {
  return ref && supportsNative(deps.provider(ref.provider), ref.model, output) ? 'native' : 'prompt';
}

export function messagesFor(messages: ChatRequest['messages'], mode: 'native' | 'prompt', schema: z.ZodType): ChatMessage[] {
  return mode === 'native' ? [...messages] : withSchemaInstruction(messages, jsonSchemaOf(schema));
}

const addCost = (total: number | undefined, cost: number | undefined) => (cost === undefined ? total : (total ?? 0) + cost);

/**
 * Runs `keel.object`: each cascade step (or the feature's candidates as one step) is one pipeline
 * call, judged by the gate; a schema failure gets one repair call with zod's issues, charged to
 * the budget like any call; then the next step; then a `validation` KeelError.
 */
export async function runObject<T>(deps: StructuredDeps, request: ObjectRequest<T>): Promise<ObjectResult<T>> {
  const { schema, schemaName, accept, ...chatRequest } = request;
  const feature = deps.feature(chatRequest.feature);
  const output = nativeOutputSchema(schema, schemaName);
  const cascade = feature?.cascade;
  const checks: GateChecks = cascade?.gate ?? ALL_CHECKS;
  const repair = cascade?.repair ?? true;
  const limits = deps.limits ?? DEFAULT_OUTPUT_LIMITS;
  // Without a cascade the feature's models are one step with their usual fallback.
  const steps: readonly (ModelRef | undefined)[] = cascade && feature ? feature.models : [undefined];
  const calls: ChatResult[] = [];

  const runStep = async (step: ModelRef | undefined): Promise<StepOutcome<Answer<T>>> => {
    const mode = planMode(deps, step ?? feature?.models[0], output);
    const options: StepOptions = {
      candidates: step ? [step] : undefined,
      outputSchema: mode === 'native' ? output : undefined,
      logprobs: checks.minConfidence !== undefined,
    };
    const messages = messagesFor(chatRequest.messages, mode, schema);
    const first = await deps.chat({ ...chatRequest, messages }, options);
    calls.push(first);
    let result = first;
    let verdict = await judgeWithPredicate(judgeAnswer(first, schema, checks, limits), first, accept);
    let stepCalls = 1;
    let stepCost = first.costUsd;
    if (!verdict.pass && verdict.reason === 'schema' && !verdict.hostile && repair) {
      // A repair the budget cannot afford is skipped (nothing was sent): the first verdict stands.
      const repaired = await deps
        .chat({ ...chatRequest, messages: repairMessages(messages, first.text, verdict.issues) }, options)
        .catch((error: unknown) => {
          if (KeelError.is(error) && error.kind === 'budget_exceeded') return undefined;
          throw error;
        });
      if (repaired) {
        result = repaired;
        calls.push(result);
        stepCalls++;
        stepCost = addCost(stepCost, result.costUsd);
        verdict = await judgeWithPredicate(judgeAnswer(result, schema, checks, limits), result, accept);
      }
    }
    const base = { provider: result.provider, model: result.model, calls: stepCalls, costUsd: stepCost };
    if (verdict.pass) {
      return { accepted: true, answer: { value: verdict.value, result, mode, repaired: stepCalls > 1 }, report: { ...base, outcome: 'accepted' } };
    }
    return {
      accepted: false,
      report: { ...base, outcome: 'escalated', reason: verdict.reason, issues: verdict.issues },
      fallbackAnswer: verdict.value === undefined ? undefined : { value: verdict.value, result, mode, repaired: stepCalls > 1 },
      error: answerError({ reason: verdict.reason, issues: verdict.issues, text: result.text, provider: result.provider, model: result.model }, deps.logPrompts),
    };
  };

  const outcome = await runCascade(steps, runStep);
  const { answer } = outcome;
  return {
    value: answer.value,
    provider: answer.result.provider,
    model: answer.result.model,
    mode: answer.mode,
    repaired: answer.repaired,
    budgetLimited: outcome.budgetLimited,
    steps: outcome.steps,
    costUsd: calls.reduce<number | undefined>((total, call) => addCost(total, call.costUsd), undefined),
    usage: calls.reduce<Usage>((sum, call) => ({ inputTokens: sum.inputTokens + call.usage.inputTokens, outputTokens: sum.outputTokens + call.usage.outputTokens }), { inputTokens: 0, outputTokens: 0 }),
  };
}

/** The gate's user predicate, run only on an answer that passed every other check. */
async function judgeWithPredicate<T>(
  verdict: GateVerdict<T>,
  result: ChatResult,
  accept: ObjectRequest<T>['accept'],
): Promise<GateVerdict<T>> {
  if (!verdict.pass || !accept) return verdict;
  const accepted = await accept(verdict.value, { provider: result.provider, model: result.model });
  return accepted ? verdict : { pass: false, reason: 'predicate', issues: ['output: rejected by the accept predicate'], value: verdict.value, hostile: false };
}
