import type { AttemptRecord } from '../errors/keel-error.js';
import type { EventHub } from '../events/events.js';
import type { CallContext, Provider, ProviderRequest } from '../provider/provider.js';
import type { Clock } from '../util/clock.js';
import type { CandidateLogEntry } from './candidate-log.js';

/** State shared by every attempt of one call. */
export interface CallState {
  readonly id: string;
  readonly feature: string;
  /** The request's user and tenant, carried to `call.finished` so per-user spend needs no join. */
  readonly user?: string | undefined;
  readonly tenant?: string | undefined;
  readonly startedAt: number;
  readonly clock: Clock;
  readonly events: EventHub;
  /** Every attempt made so far, across candidate models, in order. */
  readonly attempts: AttemptRecord[];
  /** Set once an attempt reaches a provider: until then the call has spent no rate limit. */
  sent: boolean;
  /**
   * Candidates after the one being tried (set by `withFallback`): a `failover` action retries
   * only when none is left.
   */
  candidatesLeft: number;
  /**
   * The candidates tried so far, for results and errors: read and written by candidate-log.ts
   * only. A field, not a WeakMap beside the call: no lookup, and no ephemeron per call for the GC.
   */
  readonly candidateLog: CandidateLogEntry[];
  /** Budget holds opened so far: hold-id.ts numbers the next one. */
  holds: number;
}

/** What each policy receives and passes inward. */
export interface AttemptContext extends CallContext {
  readonly provider: string;
  readonly model: string;
  readonly call: CallState;
  /**
   * What the terminal step calls. Carried in the context, not closed over, so each feature's
   * policy chain is composed once at `createKeel` rather than on every call.
   */
  readonly target: { readonly provider: Provider; readonly request: ProviderRequest };
}

/** One attempt: the innermost step is the provider call itself. */
export type Attempt<T> = (context: AttemptContext) => Promise<T>;

/**
 * A policy wraps the next step, cockatiel-style. Policies are plain objects; `compose` nests
 * them so the first is outermost.
 */
export interface Policy {
  readonly name: string;
  wrap<T>(next: Attempt<T>): Attempt<T>;
}
