import { z } from 'zod';
import { KEEL_ERROR_KINDS, type KeelErrorKind } from '../errors/kinds.js';

/**
 * What a failed attempt leads to:
 *  - `retry`: try the same model again (backoff, retry-after, the retry budget), and once its
 *    attempts are spent fall over to the next candidate;
 *  - `failover`: go to the next candidate at once (on the last candidate this acts as `retry`);
 *  - `fail`: end the call with this error.
 */
export const FAILOVER_ACTIONS = ['retry', 'failover', 'fail'] as const;
export type FailoverAction = (typeof FAILOVER_ACTIONS)[number];

/**
 * The defaults, per kind (every kind not listed: `fail`). Why:
 *  - `timeout` fails over: an attempt or first-token timeout is a silent route, and the same
 *    route is likely as silent on the next try while each try costs a whole timeout;
 *  - `circuit_open`, `not_found`: this model cannot answer now; another may;
 *  - `context_length`: another candidate only helps with a larger window (checked by Keel);
 *  - `server`, `connection`, `overloaded`, `rate_limited`: transient, a quick retry usually
 *    answers (rate_limited honours the server's retry-after); then the next candidate.
 */
export const DEFAULT_FAILOVER_ACTIONS: Readonly<Partial<Record<KeelErrorKind, FailoverAction>>> = {
  timeout: 'failover',
  circuit_open: 'failover',
  not_found: 'failover',
  context_length: 'failover',
  server: 'retry',
  connection: 'retry',
  overloaded: 'retry',
  rate_limited: 'retry',
};

/**
 * After a stream's first token, what a cut, stall or malformed event leads to:
 *  - `off`: the typed error with `partialText`, as without recovery;
 *  - `continue`: only an assistant-prefill continuation (where the candidate accepts one);
 *  - `restart`: only a restart whose regenerated prefix must equal the text already sent;
 *  - `auto`: continuation where accepted, else a restart.
 */
export const MID_STREAM_RECOVERY = ['off', 'continue', 'restart', 'auto'] as const;
export type MidStreamRecovery = (typeof MID_STREAM_RECOVERY)[number];

/** When no candidate's window fits the prompt: `fail` (a `context_length` error) or drop the oldest turns. */
export const CONTEXT_OVERFLOW = ['fail', 'trim-oldest'] as const;
export type ContextOverflow = (typeof CONTEXT_OVERFLOW)[number];

/** Hedged streams (opt-in): a backup request to the next candidate when the first token is late. */
export const hedgeOptionsSchema = z
  .object({
    /** Send the backup this long after the primary started, while no token has arrived. @default 2000 */
    delayMs: z.number().int().min(0).max(2_147_483_647).default(2_000),
    /**
     * Instead, once `minSamples` streams of this feature were seen: this percentile (e.g. 95) of
     * their time to first token, so only the slowest ~(100 − p) % of calls are hedged.
     */
    percentile: z.number().gt(0).lt(100).optional(),
    /** Streams observed before `percentile` replaces `delayMs`. @default 20 */
    minSamples: z.number().int().min(1).default(20),
    /** Hedges allowed as a share of this feature's calls in a rolling 10 s window. @default 0.05 */
    maxRatio: z.number().min(0).max(1).default(0.05),
  })
  .strict();

export type HedgeOptions = z.output<typeof hedgeOptionsSchema>;

export const failoverOptionsSchema = z
  .object({
    /** Per error kind: `retry`, `failover` or `fail`; merged over {@link DEFAULT_FAILOVER_ACTIONS}. */
    actions: z.partialRecord(z.enum(KEEL_ERROR_KINDS as [KeelErrorKind, ...KeelErrorKind[]]), z.enum(FAILOVER_ACTIONS)).default({}),
    /**
     * Recovery after a stream's first token (see docs/failover.md). The default recovers only by
     * continuation, which cannot diverge; a restart costs a whole new answer and joins only when
     * the model regenerates the same prefix (temperature 0, a seed), so it is opted into.
     * @default 'continue'
     */
    midStream: z.enum(MID_STREAM_RECOVERY).default('continue'),
    /** Recovery attempts per stream after its first token. @default 2 */
    maxRecoveries: z.number().int().min(0).max(10).default(2),
    /** No candidate's context window fits: `fail` or `trim-oldest` (keeps system prompts and the last turn). @default 'fail' */
    contextOverflow: z.enum(CONTEXT_OVERFLOW).default('fail'),
    /** Hedged streams; off unless set (see docs/failover.md). */
    hedge: hedgeOptionsSchema.optional(),
  })
  .strict();

/** A feature's failover settings with defaults filled in. */
export interface ResolvedFailover {
  readonly actions: Readonly<Record<KeelErrorKind, FailoverAction>>;
  readonly midStream: MidStreamRecovery;
  readonly maxRecoveries: number;
  readonly contextOverflow: ContextOverflow;
  readonly hedge: HedgeOptions | undefined;
}

type FailoverInput = z.input<typeof failoverOptionsSchema>;

/** Merges the defaults, the `defaults.failover` and the feature's own (actions merge per kind). */
export function resolveFailover(base: Partial<FailoverInput> | undefined, own: Partial<FailoverInput> | undefined): ResolvedFailover {
  const parsed = failoverOptionsSchema.parse({ ...base, ...own, actions: { ...base?.actions, ...own?.actions } });
  const actions = Object.fromEntries(KEEL_ERROR_KINDS.map((kind) => [kind, parsed.actions[kind] ?? DEFAULT_FAILOVER_ACTIONS[kind] ?? 'fail']));
  return { ...parsed, hedge: parsed.hedge, actions: actions as Record<KeelErrorKind, FailoverAction> };
}

/** Per provider id: a concurrency limit and a bounded queue (policies/bulkhead.ts). Off unless set. */
export const bulkheadsSchema = z.record(
  z.string().min(1),
  z
    .object({
      /** Attempts in flight to the provider at once; a stream counts until it ends. */
      maxConcurrent: z.number().int().min(1),
      /** Attempts that may wait for a slot (until their deadline); more are refused as `overloaded`. @default 0 */
      maxQueue: z.number().int().min(0).default(0),
    })
    .strict(),
);
