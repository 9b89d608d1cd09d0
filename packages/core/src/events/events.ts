import type { KeelErrorKind } from '../errors/kinds.js';
import type { FinishReason, Usage } from '../provider/messages.js';

/** Fields every event carries. Events never carry prompt text or keys. */
interface EventBase {
  /** Unique per `chat` / `stream` call; ties attempts to their call. */
  readonly callId: string;
  readonly feature: string;
  /** Epoch milliseconds on Keel's clock. */
  readonly at: number;
}

/** A candidate named in an event. */
export interface EventModelRef {
  readonly provider: string;
  readonly model: string;
}

interface AttemptBase extends EventBase {
  readonly provider: string;
  readonly model: string;
  readonly attempt: number;
}

export type KeelEvent =
  | (EventBase & {
      readonly type: 'call.started';
      readonly stream: boolean;
      /** The primary candidate. */
      readonly provider: string;
      readonly model: string;
      readonly maxTokens?: number | undefined;
      readonly temperature?: number | undefined;
      readonly user?: string | undefined;
      readonly tenant?: string | undefined;
      /**
       * SHA-256 of the messages (hex): lets telemetry correlate prompts without holding them.
       * Computed on first read (a getter), so `{ ...event }` leaves it out; JSON has it.
       */
      readonly promptHash: string;
      /** The messages themselves, only when the user opted in with `dangerouslyLogPrompts`. */
      readonly prompt?: readonly { readonly role: string; readonly content: string }[] | undefined;
    })
  | (AttemptBase & { readonly type: 'attempt.started' })
  | (AttemptBase & {
      readonly type: 'attempt.failed';
      readonly kind: KeelErrorKind;
      readonly status?: number | undefined;
      readonly durationMs: number;
    })
  | (AttemptBase & { readonly type: 'attempt.succeeded'; readonly durationMs: number })
  | (AttemptBase & {
      readonly type: 'retry.scheduled';
      readonly delayMs: number;
      /** `server` when the wait came from retry-after headers, `backoff` otherwise. */
      readonly reason: 'server' | 'backoff';
    })
  | (AttemptBase & { readonly type: 'retry.denied'; readonly reason: 'retry_budget' | 'deadline' | 'max_attempts' | 'not_retryable' })
  | (EventBase & { readonly type: 'fallback'; readonly from: string; readonly to: string; readonly kind: KeelErrorKind })
  | (AttemptBase & { readonly type: 'stream.first_token'; readonly ttftMs: number })
  /**
   * A stream broke after the caller had text and goes on from a new leg (`failover.midStream`):
   * from the leg that broke to the one that continues it, by continuation (a prefill of the text
   * sent) or restart (regenerated, its prefix suppressed). `textChars`: what the caller had then.
   */
  | (EventBase & {
      readonly type: 'stream.recovered';
      readonly from: EventModelRef;
      readonly to: EventModelRef;
      readonly mode: 'continue' | 'restart';
      readonly kind: KeelErrorKind;
      readonly textChars: number;
    })
  /** The hedge delay passed without a result: a backup went to the second candidate (`failover.hedge`). */
  | (EventBase & { readonly type: 'hedge.started'; readonly primary: EventModelRef; readonly backup: EventModelRef })
  /** A hedged pair's race ended: `winner` answered first (a stream's first token, a chat's response); the other was cancelled. */
  | (EventBase & { readonly type: 'hedge.won'; readonly primary: EventModelRef; readonly backup: EventModelRef; readonly winner: 'primary' | 'backup' })
  | {
      readonly type: 'breaker.opened' | 'breaker.half_open' | 'breaker.closed';
      readonly provider: string;
      readonly model: string;
      readonly at: number;
    }
  /**
   * The provider answered without usable usage (none, `null`, or counts that are not finite
   * non-negative integers). Keel charged its own conservative count instead — `charged`, when
   * the feature has a budget: the reserved input plus the hold's output grant, or the estimate
   * of the text served if that is more. Never on telemetry's token counters.
   */
  | (EventBase & {
      readonly type: 'usage.missing';
      readonly stream: boolean;
      readonly provider: string;
      readonly model: string;
      readonly charged?: { readonly inputTokens: number; readonly outputTokens: number } | undefined;
    })
  /** The answer came from the cache: `exact` key, or a `semantic` match at `similarity`. */
  | (EventBase & { readonly type: 'cache.hit'; readonly stream: boolean; readonly match: 'exact' | 'semantic'; readonly similarity?: number | undefined })
  /** Nothing cached for this call: it goes upstream (and leads any identical call behind it). */
  | (EventBase & { readonly type: 'cache.miss' })
  /** The call's answer was kept (no `reason`), or not, and why (`finish_length`, `empty`, `too_large`…). */
  | (EventBase & { readonly type: 'cache.stored'; readonly reason?: string | undefined })
  /** The feature caches, but not this call (`bypass`, `no_tenant`, `multi_turn`, `tools`, `temperature`, `structured`…). */
  | (EventBase & { readonly type: 'cache.skipped'; readonly reason: string })
  /** The cache store or the semantic layer failed; the call went on without the cache. */
  | (EventBase & { readonly type: 'cache.error'; readonly operation: 'get' | 'set' | 'semantic' })
  | (EventBase & {
      readonly type: 'call.finished';
      readonly stream: boolean;
      /** The request's `user` and `tenant`, as on `call.started`: spend per user without a join. */
      readonly user?: string | undefined;
      readonly tenant?: string | undefined;
      readonly outcome: 'ok' | KeelErrorKind;
      readonly provider?: string | undefined;
      readonly model?: string | undefined;
      readonly attempts: number;
      readonly latencyMs: number;
      readonly ttftMs?: number | undefined;
      readonly usage?: Usage | undefined;
      readonly finishReason?: FinishReason | undefined;
      /** What the call cost in US dollars, when its model is priced. */
      readonly costUsd?: number | undefined;
      /** The tightest budget's room left after the call, when the feature has budgets. */
      readonly budgetRemaining?: { readonly scope: string; readonly remaining: number; readonly unit: 'tokens' | 'usd' } | undefined;
      /** Served from the cache (nothing sent or charged). */
      readonly cached?: true | undefined;
      readonly similarity?: number | undefined;
      /** Breaker state of the answering provider+model after the call. */
      readonly breakerState?: 'closed' | 'open' | 'half_open' | undefined;
    });

export type KeelEventType = KeelEvent['type'];
export type KeelEventListener = (event: KeelEvent) => void;

/** A tiny synchronous emitter. A listener that throws is isolated from the call and the others. */
export class EventHub {
  readonly #listeners = new Set<KeelEventListener>();

  subscribe(listener: KeelEventListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  get active(): boolean {
    return this.#listeners.size > 0;
  }

  emit(event: KeelEvent): void {
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch {
        // A broken listener must never break a call.
      }
    }
  }
}
