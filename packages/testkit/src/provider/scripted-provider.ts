import {
  KeelError,
  systemClock,
  type CallContext,
  type Clock,
  type FinishReason,
  type Provider,
  type ProviderRequest,
  type ProviderResponse,
  type ProviderStreamPart,
  type Usage,
} from '@keel/core';
import { DEFAULT_REPLY_TEXT, estimateTokens, splitIntoChunks } from '../reply.js';
import { abortError, whenAborted } from './abort-error.js';

/** A successful reply. From `stream()` its text arrives as word-sized parts. */
export interface ScriptedReply {
  readonly text: string;
  /** @default 'stop' */
  readonly finishReason?: FinishReason;
  /** `null` omits usage; by default it is counted deterministically from the request and text. */
  readonly usage?: Usage | null;
  /** @default the requested model */
  readonly model?: string;
  /** Wait before replying, in ms on the provider's clock. */
  readonly delayMs?: number;
}

/** The call throws `error` (after `delayMs`). */
export interface ScriptedFailure {
  readonly error: KeelError;
  readonly delayMs?: number;
}

/** A streamed reply with optional mid-stream trouble; `chat()` gets the joined text. */
export interface ScriptedStream {
  readonly stream: readonly string[];
  /** Throw `error` after this many text parts. */
  readonly failAfter?: number;
  /** Thrown by `failAfter`. @default a retryable `connection` KeelError */
  readonly error?: KeelError;
  /** Stop after this many text parts and wait for the signal to abort. */
  readonly stallAfter?: number;
  /** Wait before the first text part, in ms on the provider's clock. */
  readonly firstTokenDelayMs?: number;
  /** Wait between text parts, in ms. */
  readonly chunkDelayMs?: number;
  readonly finishReason?: FinishReason;
  readonly usage?: Usage | null;
  readonly model?: string;
}

/** The call never answers; it throws once `context.signal` aborts. */
export interface ScriptedHang {
  readonly hang: true;
}

export type ScriptedStep = ScriptedReply | ScriptedFailure | ScriptedStream | ScriptedHang;

export type ScriptedSteps =
  | readonly ScriptedStep[]
  | ((request: ProviderRequest, context: CallContext, callIndex: number) => ScriptedStep);

export interface ScriptedCall {
  readonly method: 'chat' | 'stream';
  readonly request: ProviderRequest;
  readonly context: CallContext;
}

export interface ScriptedProviderOptions {
  /** @default 'scripted' */
  id?: string;
  /** Taken one per call (`chat` and `stream` alike); once used up, calls get `defaultText`. @default [] */
  steps?: ScriptedSteps;
  /** The clock delays run on; a fake clock makes them instant. @default systemClock */
  clock?: Clock;
  /** @default DEFAULT_REPLY_TEXT */
  defaultText?: string;
}

export interface ScriptedProvider extends Provider {
  /** Every call in order, with the request and context it got. */
  readonly calls: readonly ScriptedCall[];
}

const isHang = (step: ScriptedStep): step is ScriptedHang => 'hang' in step;
const isStream = (step: ScriptedStep): step is ScriptedStream => 'stream' in step;
const isFailure = (step: ScriptedStep): step is ScriptedFailure => 'error' in step && !isStream(step);

/**
 * An in-process {@link Provider} that plays a script, for testing pipeline logic (retries,
 * fallbacks, budgets) without HTTP. It honours `context.signal` at every step.
 */
export function createScriptedProvider(options: ScriptedProviderOptions = {}): ScriptedProvider {
  const id = options.id ?? 'scripted';
  const clock = options.clock ?? systemClock;
  const steps = options.steps ?? [];
  const fallback: ScriptedReply = { text: options.defaultText ?? DEFAULT_REPLY_TEXT };
  const calls: ScriptedCall[] = [];
  let queued = 0;

  function take(method: ScriptedCall['method'], request: ProviderRequest, context: CallContext): ScriptedStep {
    const callIndex = calls.length;
    calls.push({ method, request, context });
    if (typeof steps === 'function') return steps(request, context, callIndex);
    return steps[queued++] ?? fallback;
  }

  function checkSignal(signal: AbortSignal): void {
    if (signal.aborted) throw abortError(signal, id);
  }

  async function pause(ms: number | undefined, signal: AbortSignal): Promise<void> {
    checkSignal(signal);
    if (!ms) return;
    try {
      await clock.sleep(ms, signal);
    } catch (error) {
      if (signal.aborted) throw abortError(signal, id);
      throw error;
    }
  }

  async function stall(signal: AbortSignal): Promise<never> {
    await whenAborted(signal);
    throw abortError(signal, id);
  }

  function usageFor(request: ProviderRequest, step: ScriptedReply | ScriptedStream, chunks: number): Usage | undefined {
    if (step.usage === null) return undefined;
    const promptChars = request.messages.reduce((sum, message) => sum + message.content.length, 0);
    return step.usage ?? { inputTokens: estimateTokens(promptChars), outputTokens: chunks };
  }

  async function chat(request: ProviderRequest, context: CallContext): Promise<ProviderResponse> {
    const step = take('chat', request, context);
    const { signal } = context;
    checkSignal(signal);
    if (isHang(step)) return stall(signal);
    if (isStream(step)) {
      await pause(step.firstTokenDelayMs, signal);
      if (step.stallAfter !== undefined) return stall(signal);
      if (step.failAfter !== undefined) throw step.error ?? streamError(step.failAfter);
      return reply(request, step, step.stream.join(''), step.stream.length);
    }
    await pause(step.delayMs, signal);
    if ('error' in step) throw step.error;
    return reply(request, step, step.text, splitIntoChunks(step.text).length);
  }

  function reply(request: ProviderRequest, step: ScriptedReply | ScriptedStream, text: string, chunks: number): ProviderResponse {
    return {
      text,
      finishReason: step.finishReason ?? 'stop',
      usage: usageFor(request, step, chunks),
      model: step.model ?? request.model,
      ...(request.includeRaw ? { raw: { text } } : {}),
    };
  }

  function streamError(after: number): KeelError {
    return new KeelError('connection', `The scripted stream failed after ${after} chunks.`, { provider: id });
  }

  async function* streamParts(step: ScriptedStep, request: ProviderRequest, signal: AbortSignal): AsyncGenerator<ProviderStreamPart> {
    checkSignal(signal);
    if (isHang(step)) return await stall(signal);
    if (isFailure(step)) {
      await pause(step.delayMs, signal);
      throw step.error;
    }
    const streamed = isStream(step) ? step : undefined;
    const chunks = isStream(step) ? step.stream : splitIntoChunks(step.text);
    const firstDelay = isStream(step) ? step.firstTokenDelayMs : step.delayMs;
    for (let i = 0; i <= chunks.length; i++) {
      if (i === streamed?.failAfter) throw streamed.error ?? streamError(i);
      if (i === streamed?.stallAfter) await stall(signal);
      if (i === chunks.length) break;
      await pause(i === 0 ? firstDelay : streamed?.chunkDelayMs, signal);
      const text = chunks[i] ?? '';
      yield { type: 'text', text };
      // As a part of its own after the text (adapters may instead put it on the text part).
      if (request.includeRaw) yield { type: 'raw', chunk: { text }, content: true };
    }
    // A failAfter/stallAfter beyond the last chunk still fails or stalls, just before finishing.
    if (streamed?.failAfter !== undefined) throw streamed.error ?? streamError(chunks.length);
    if (streamed?.stallAfter !== undefined) await stall(signal);
    const usage = usageFor(request, step, chunks.length);
    if (usage) yield { type: 'usage', usage };
    yield { type: 'finish', finishReason: step.finishReason ?? 'stop', model: step.model ?? request.model };
  }

  return {
    id,
    calls,
    chat,
    stream(request, context) {
      // The step is taken at call time, not at the first `next()`, so `calls` stays in order.
      return streamParts(take('stream', request, context), request, context.signal);
    },
  };
}
