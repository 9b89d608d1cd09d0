import type { Attributes, Context, Span } from '@opentelemetry/api';

/** What Keel keeps about one call between `call.started` and `call.finished`. */
export interface OpenCall {
  readonly callId: string;
  readonly startedAt: number;
  readonly span: Span;
  /** The context holding the call span: attempt spans are started in it. */
  readonly context: Context;
  /** Operation, provider, requested model and feature: shared by the span and every metric. */
  readonly identity: Attributes;
  /** Open attempt spans, by provider, model and attempt number (attempt numbers restart per model). */
  readonly attempts: Map<string, Span>;
}

export interface CallTableLimits {
  /** Most calls tracked at once; the oldest is evicted beyond it. */
  readonly maxOpenCalls: number;
  /** A call open longer than this (on Keel's clock) is evicted when the next one starts. */
  readonly maxCallAgeMs: number;
}

/**
 * Open calls by id, bounded. A `call.started` with no `call.finished` (a stream nobody reads,
 * a listener subscribed mid-call) would otherwise be held forever: insertion order is start
 * order, so the oldest entries are at the front and eviction is O(1) per call.
 */
export class CallTable {
  readonly #calls = new Map<string, OpenCall>();

  constructor(
    private readonly limits: CallTableLimits,
    private readonly onEvict: (call: OpenCall, at: number) => void,
  ) {}

  get size(): number {
    return this.#calls.size;
  }

  add(call: OpenCall): void {
    const previous = this.#calls.get(call.callId);
    if (previous) this.evict(previous, call.startedAt);
    const oldestAllowed = call.startedAt - this.limits.maxCallAgeMs;
    for (const oldest of this.#calls.values()) {
      if (this.#calls.size < this.limits.maxOpenCalls && oldest.startedAt >= oldestAllowed) break;
      this.evict(oldest, call.startedAt);
    }
    this.#calls.set(call.callId, call);
  }

  get(callId: string): OpenCall | undefined {
    return this.#calls.get(callId);
  }

  /** Removes and returns the call: `call.finished` always cleans up. */
  take(callId: string): OpenCall | undefined {
    const call = this.#calls.get(callId);
    if (call) this.#calls.delete(callId);
    return call;
  }

  evictAll(at: number): void {
    for (const call of this.#calls.values()) this.evict(call, at);
  }

  private evict(call: OpenCall, at: number): void {
    this.#calls.delete(call.callId);
    this.onEvict(call, at);
  }
}
