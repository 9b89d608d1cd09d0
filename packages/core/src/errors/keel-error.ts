import { ERROR_KINDS, type KeelErrorKind } from './kinds.js';
import { redactEchoes, type RequestContent } from './echo.js';
import { redact } from './redact.js';

const BRAND = Symbol.for('keel.error');
const INSPECT = Symbol.for('nodejs.util.inspect.custom');

/** One attempt of a call, as the retry loop saw it. */
export interface AttemptRecord {
  /** 1-based attempt number within its candidate model. */
  readonly attempt: number;
  readonly provider: string;
  readonly model: string;
  /** `ok`, or the kind of error the attempt ended with. */
  readonly outcome: 'ok' | KeelErrorKind;
  readonly status?: number | undefined;
  /** Wall time of the attempt, in milliseconds. */
  readonly durationMs: number;
  /** The wait before the next attempt, when one was scheduled, in milliseconds. */
  readonly waitMs?: number | undefined;
}

/**
 * One candidate model of a call and how Keel left it (see docs/failover.md):
 * `answered`; `failed_over` (its failure sent the call to the next candidate); `skipped` (not
 * sent: its context window cannot hold the prompt); `failed` (the call ended with its error);
 * `recovered` (its stream broke after the first token and another attempt continued it);
 * `hedge_lost` (a hedged request answered first and this one was cancelled).
 */
export interface CandidateRecord {
  readonly provider: string;
  readonly model: string;
  readonly outcome: 'answered' | 'failed_over' | 'skipped' | 'failed' | 'recovered' | 'hedge_lost';
  /** The error kind it was left for (none when it answered). */
  readonly kind?: KeelErrorKind | undefined;
  /** Attempts sent to it (0 when skipped). */
  readonly attempts: number;
  /** What its attempts were charged, in USD, when priced (0 when nothing was served). */
  readonly costUsd?: number | undefined;
}

/**
 * A cause reduced to plain, scrubbed fields. The original SDK error is never kept: it can hold
 * request options, headers or a response body.
 */
export interface SanitizedCause {
  readonly name: string;
  readonly message: string;
  readonly status?: number | undefined;
  readonly code?: string | undefined;
  readonly type?: string | undefined;
}

/** Details of a budget refusal (`budget_exceeded`). */
export interface BudgetDetails {
  readonly scope: string;
  readonly limit: number;
  readonly remaining: number;
  readonly unit: 'tokens' | 'usd' | 'requests';
  /** What the smallest acceptable call needs on this scope; above `limit`, it can never fit. */
  readonly needed?: number | undefined;
  /** Epoch milliseconds at which room frees up, when known. */
  readonly resetAt?: number | undefined;
}

/** For `validation`: what the model answered, as a hash (and as text only when prompts may be logged). */
export interface OutputDetails {
  /** SHA-256 (hex) of the raw output text. */
  readonly sha256: string;
  /** Its length in characters. */
  readonly length: number;
  /** The raw text itself, only when the caller set `dangerouslyLogPrompts`. Never printed by `toJSON`. */
  readonly text?: string | undefined;
}

export interface KeelErrorOptions {
  readonly retryable?: boolean | undefined;
  readonly provider?: string | undefined;
  readonly model?: string | undefined;
  readonly status?: number | undefined;
  readonly retryAfterMs?: number | undefined;
  readonly attempts?: readonly AttemptRecord[] | undefined;
  /** Every candidate the call tried, why each was left and what each cost. */
  readonly candidates?: readonly CandidateRecord[] | undefined;
  /** Any thrown value; it is reduced to a {@link SanitizedCause}. */
  readonly cause?: unknown;
  /**
   * Exact secret values to scrub from the message, cause, issues and the `provider` / `model`
   * fields, own and per attempt (the client's API key, its header values).
   */
  readonly secrets?: readonly string[] | undefined;
  /** The request's content, scrubbed from the message and cause when the provider echoed it. */
  readonly requestContent?: RequestContent | undefined;
  /** For `bad_request` raised by Keel's validation: one line per problem. */
  readonly issues?: readonly string[] | undefined;
  /** For a stream cut after its first token: the text the caller already received. */
  readonly partialText?: string | undefined;
  readonly budget?: BudgetDetails | undefined;
  /** For `validation`: the rejected output, hashed. */
  readonly output?: OutputDetails | undefined;
}

/**
 * The one error Keel throws. Branch on `kind`; `retryable` says whether trying again could
 * help. It never holds an API key or prompt text: the message and cause are scrubbed, and
 * `toJSON` / `util.inspect` print a fixed set of safe fields.
 */
export class KeelError extends Error {
  override readonly name = 'KeelError';
  readonly kind: KeelErrorKind;
  readonly retryable: boolean;
  readonly provider: string | undefined;
  readonly model: string | undefined;
  readonly status: number | undefined;
  readonly retryAfterMs: number | undefined;
  readonly attempts: readonly AttemptRecord[];
  /** Every candidate the call tried, why each was left and what each cost (empty before the pipeline attaches it). */
  readonly candidates: readonly CandidateRecord[];
  override readonly cause: SanitizedCause | undefined;
  readonly issues: readonly string[] | undefined;
  readonly partialText: string | undefined;
  readonly budget: BudgetDetails | undefined;
  readonly output: OutputDetails | undefined;
  /**
   * The exact secrets this error was scrubbed with, kept (private: never printed, serialised or
   * cloned) so that `with()` can scrub the attempts and model the pipeline attaches later.
   */
  readonly #secrets: readonly string[];

  constructor(kind: KeelErrorKind, message: string, options: KeelErrorOptions = {}) {
    // A wrapping error inherits the secrets of the KeelError it wraps.
    const secrets = [...(options.secrets ?? []), ...KeelError.#secretsOf(options.cause)];
    // Scrubbed before super(): the stack trace embeds the message.
    super(scrub(message, secrets, options.requestContent));
    this.#secrets = secrets;
    this.kind = kind;
    this.retryable = options.retryable ?? ERROR_KINDS[kind].retryable;
    this.provider = redactOptional(options.provider, secrets);
    this.model = redactOptional(options.model, secrets);
    this.status = options.status;
    this.retryAfterMs = options.retryAfterMs;
    // A key passed as a model name would otherwise reach JSON.stringify through the attempt log.
    this.attempts = (options.attempts ?? []).map((record) => redactAttempt(record, secrets));
    this.candidates = (options.candidates ?? []).map((record) => redactAttempt(record, secrets));
    this.cause = options.cause === undefined ? undefined : sanitizeCause(options.cause, secrets, options.requestContent);
    // Issues can quote what the caller sent (a feature name, a key name): scrub them like the message.
    this.issues = options.issues?.map((issue) => scrub(issue, secrets, options.requestContent));
    this.partialText = options.partialText;
    this.budget = options.budget;
    this.output = options.output;
    Object.defineProperty(this, BRAND, { value: true });
  }

  /** A KeelError's secrets; none for anything else, or for a KeelError from another copy of this package. */
  static #secretsOf(value: unknown): readonly string[] {
    return typeof value === 'object' && value !== null && #secrets in value ? value.#secrets : [];
  }

  /** True for a KeelError from any copy of this package (duplicate installs included). */
  static is(value: unknown): value is KeelError {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
  }

  /** A copy with some fields replaced; the pipeline uses it to attach attempts and context. */
  with(overrides: Partial<Omit<KeelErrorOptions, 'cause' | 'secrets' | 'requestContent'>> & { kind?: KeelErrorKind; message?: string }): KeelError {
    const copy = new KeelError(overrides.kind ?? this.kind, overrides.message ?? this.message, {
      retryable: overrides.retryable ?? (overrides.kind ? undefined : this.retryable),
      provider: overrides.provider ?? this.provider,
      model: overrides.model ?? this.model,
      status: overrides.status ?? this.status,
      retryAfterMs: overrides.retryAfterMs ?? this.retryAfterMs,
      attempts: overrides.attempts ?? this.attempts,
      candidates: overrides.candidates ?? this.candidates,
      issues: overrides.issues ?? this.issues,
      partialText: overrides.partialText ?? this.partialText,
      budget: overrides.budget ?? this.budget,
      output: overrides.output ?? this.output,
      secrets: this.#secrets,
    });
    // The cause is already sanitised; keep it as is rather than sanitising twice.
    Object.defineProperty(copy, 'cause', { value: this.cause, enumerable: true });
    return copy;
  }

  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      kind: this.kind,
      message: this.message,
      retryable: this.retryable,
      provider: this.provider,
      model: this.model,
      status: this.status,
      retryAfterMs: this.retryAfterMs,
      attempts: this.attempts,
      candidates: this.candidates,
      issues: this.issues,
      budget: this.budget,
      // The hash only: the text (when kept) can echo the prompt.
      output: this.output && { sha256: this.output.sha256, length: this.output.length },
      // Length only: model output can echo the prompt.
      partialTextLength: this.partialText?.length,
      cause: this.cause,
    };
  }

  [INSPECT](): string {
    return `KeelError [${this.kind}] ${this.message} ${JSON.stringify(this.toJSON())}`;
  }
}

/** Longest cause message kept: an SDK error's message can hold a whole response body. */
const MAX_CAUSE_MESSAGE = 500;

export function sanitizeCause(cause: unknown, secrets: readonly string[] = [], requestContent?: RequestContent): SanitizedCause {
  if (KeelError.is(cause)) {
    return { name: cause.name, message: cause.message, status: cause.status, code: cause.kind };
  }
  const clean = (text: string) => scrub(text, secrets, requestContent);
  if (cause instanceof Error) {
    const fields = cause as Error & { status?: unknown; code?: unknown; type?: unknown };
    return {
      name: clean(cause.name),
      message: clean(bounded(cause.message)),
      status: typeof fields.status === 'number' ? fields.status : undefined,
      code: typeof fields.code === 'string' ? clean(fields.code) : undefined,
      type: typeof fields.type === 'string' ? clean(fields.type) : undefined,
    };
  }
  return { name: typeof cause, message: clean(bounded(String(cause))) };
}

/** Secrets first (exact values and key shapes), then echoes of the request. */
function scrub(text: string, secrets: readonly string[], requestContent: RequestContent | undefined): string {
  return redactEchoes(redact(text, secrets), requestContent);
}

/** One line (echo matching compares whitespace runs as one space), cut to a bounded length. */
function bounded(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > MAX_CAUSE_MESSAGE ? `${line.slice(0, MAX_CAUSE_MESSAGE)}…` : line;
}

function redactOptional(value: string | undefined, secrets: readonly string[]): string | undefined {
  return value === undefined ? undefined : redact(value, secrets);
}

function redactAttempt<T extends { readonly provider: string; readonly model: string }>(record: T, secrets: readonly string[]): T {
  const provider = redact(record.provider, secrets);
  const model = redact(record.model, secrets);
  return provider === record.provider && model === record.model ? record : { ...record, provider, model };
}
