import { ERROR_KINDS, type KeelErrorKind } from './kinds.js';
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

export interface KeelErrorOptions {
  readonly retryable?: boolean | undefined;
  readonly provider?: string | undefined;
  readonly model?: string | undefined;
  readonly status?: number | undefined;
  readonly retryAfterMs?: number | undefined;
  readonly attempts?: readonly AttemptRecord[] | undefined;
  /** Any thrown value; it is reduced to a {@link SanitizedCause}. */
  readonly cause?: unknown;
  /** Exact secret values to scrub from the message and cause (e.g. the client's API key). */
  readonly secrets?: readonly string[] | undefined;
  /** For `bad_request` raised by Keel's validation: one line per problem. */
  readonly issues?: readonly string[] | undefined;
  /** For a stream cut after its first token: the text the caller already received. */
  readonly partialText?: string | undefined;
  readonly budget?: BudgetDetails | undefined;
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
  override readonly cause: SanitizedCause | undefined;
  readonly issues: readonly string[] | undefined;
  readonly partialText: string | undefined;
  readonly budget: BudgetDetails | undefined;

  constructor(kind: KeelErrorKind, message: string, options: KeelErrorOptions = {}) {
    const secrets = options.secrets ?? [];
    super(redact(message, secrets));
    this.kind = kind;
    this.retryable = options.retryable ?? ERROR_KINDS[kind].retryable;
    this.provider = options.provider;
    this.model = options.model;
    this.status = options.status;
    this.retryAfterMs = options.retryAfterMs;
    this.attempts = options.attempts ?? [];
    this.cause = options.cause === undefined ? undefined : sanitizeCause(options.cause, secrets);
    // Issues can quote what the caller sent (a feature name, a key name): scrub them like the message.
    this.issues = options.issues?.map((issue) => redact(issue, secrets));
    this.partialText = options.partialText;
    this.budget = options.budget;
    Object.defineProperty(this, BRAND, { value: true });
  }

  /** True for a KeelError from any copy of this package (duplicate installs included). */
  static is(value: unknown): value is KeelError {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
  }

  /** A copy with some fields replaced; the pipeline uses it to attach attempts and context. */
  with(overrides: Partial<Omit<KeelErrorOptions, 'cause' | 'secrets'>> & { kind?: KeelErrorKind; message?: string }): KeelError {
    const copy = new KeelError(overrides.kind ?? this.kind, overrides.message ?? this.message, {
      retryable: overrides.retryable ?? (overrides.kind ? undefined : this.retryable),
      provider: overrides.provider ?? this.provider,
      model: overrides.model ?? this.model,
      status: overrides.status ?? this.status,
      retryAfterMs: overrides.retryAfterMs ?? this.retryAfterMs,
      attempts: overrides.attempts ?? this.attempts,
      issues: overrides.issues ?? this.issues,
      partialText: overrides.partialText ?? this.partialText,
      budget: overrides.budget ?? this.budget,
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
      issues: this.issues,
      budget: this.budget,
      // Length only: model output can echo the prompt.
      partialTextLength: this.partialText?.length,
      cause: this.cause,
    };
  }

  [INSPECT](): string {
    return `KeelError [${this.kind}] ${this.message} ${JSON.stringify(this.toJSON())}`;
  }
}

export function sanitizeCause(cause: unknown, secrets: readonly string[] = []): SanitizedCause {
  if (KeelError.is(cause)) {
    return { name: cause.name, message: cause.message, status: cause.status, code: cause.kind };
  }
  if (cause instanceof Error) {
    const fields = cause as Error & { status?: unknown; code?: unknown; type?: unknown };
    return {
      name: redact(cause.name, secrets),
      message: redact(cause.message, secrets),
      status: typeof fields.status === 'number' ? fields.status : undefined,
      code: typeof fields.code === 'string' ? redact(fields.code, secrets) : undefined,
      type: typeof fields.type === 'string' ? redact(fields.type, secrets) : undefined,
    };
  }
  return { name: typeof cause, message: redact(String(cause), secrets) };
}
