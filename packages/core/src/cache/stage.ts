import { KeelError } from '../errors/keel-error.js';
import type { EventHub } from '../events/events.js';
import type { Usage } from '../provider/messages.js';
import type { CallState } from '../pipeline/context.js';
import type { ChatResult } from '../pipeline/result.js';
import type { StreamEvent } from '../pipeline/stream.js';
import type { Clock } from '../util/clock.js';
import { decodeAnswer, encodeAnswer, whyNotCacheable, type CachedAnswer } from './entry.js';
import type { CachePlan } from './plan.js';
import type { SemanticHit, SemanticLayer, SemanticLookup } from './semantic-layer.js';
import { SingleFlight } from './single-flight.js';
import type { ExactCacheStore } from './store.js';

export interface CacheStageOptions {
  readonly store: ExactCacheStore;
  /** The semantic layer of a feature, if it has one. */
  readonly semanticFor: (feature: string) => SemanticLayer | undefined;
  readonly clock: Clock;
  readonly events: EventHub;
  /** Emits the hit's `call.finished` (the pipeline owns that event's shape). */
  readonly finish: (call: CallState, stream: boolean, result: ChatResult) => void;
}

/** What one call of the stage needs of its caller. */
export interface CachedCall {
  readonly plan: CachePlan;
  readonly call: CallState;
  readonly signal: AbortSignal | undefined;
  readonly deadline: number;
}

/** A hit consumed nothing: no tokens, no money, no budget. */
const NO_USAGE: Usage = Object.freeze({ inputTokens: 0, outputTokens: 0 });

/**
 * How many times a follower waits on another call's flight before it calls the provider itself
 * without waiting (a failed leader hands its followers nothing, so they elect a new one).
 */
const MAX_FOLLOWS = 2;

interface Hit {
  readonly answer: CachedAnswer;
  readonly similarity?: number | undefined;
}

/**
 * The cache stage: wraps a whole call (admission, fallback, every policy) so that a hit never
 * reaches a budget, a rate limit or a provider. The store and the semantic layer may fail: the
 * cache then stays out of the way (`cache.error`) and the call goes upstream.
 */
export function createCacheStage({ store, semanticFor, clock, events, finish }: CacheStageOptions) {
  const flights = new SingleFlight<CachedAnswer>();

  function missed(call: CallState) {
    if (events.active) events.emit({ type: 'cache.miss', callId: call.id, feature: call.feature, at: clock.now() });
  }

  /** `cache.stored`: kept (no reason), or not and why. */
  function stored(call: CallState, reason?: string) {
    if (events.active) events.emit({ type: 'cache.stored', callId: call.id, feature: call.feature, at: clock.now(), reason });
  }

  function storeFailed(call: CallState, operation: 'get' | 'set' | 'semantic') {
    if (events.active) events.emit({ type: 'cache.error', callId: call.id, feature: call.feature, at: clock.now(), operation });
  }

  // One semantic lookup per call, whatever it asks of the layer (lookup, nearest, remember, and
  // again for a follower whose leader failed): the layer embeds the prompt once per lookup.
  const semanticLookups = new WeakMap<CachedCall, SemanticLookup>();
  function semanticLookupOf(cached: CachedCall, semantic: NonNullable<CachePlan['semantic']>): SemanticLookup {
    let lookup = semanticLookups.get(cached);
    if (!lookup) semanticLookups.set(cached, (lookup = { prompt: semantic.prompt, minSimilarity: semantic.minSimilarity, signal: cached.signal }));
    return lookup;
  }

  /** The hit, or on a miss the nearest cached prompt to check the fresh answer against. */
  async function lookup(cached: CachedCall): Promise<{ hit?: Hit; near?: SemanticHit | undefined }> {
    const { plan, call } = cached;
    try {
      const exact = decodeAnswer(await store.get(plan.key), plan.shape);
      if (exact) return { hit: { answer: exact } };
    } catch {
      storeFailed(call, 'get');
      return {};
    }
    const semantic = semanticFor(call.feature);
    if (!plan.semantic || !semantic) return {};
    const request = semanticLookupOf(cached, plan.semantic);
    try {
      const similar = await semantic.lookup(plan.semantic.scope, request);
      if (similar && similar.similarity >= plan.semantic.minSimilarity) {
        const answer = decodeAnswer(await store.get(similar.key), plan.shape);
        if (answer) return { hit: { answer, similarity: similar.similarity } };
        // The entry expired or was evicted: the vector goes too.
        semantic.forget(plan.semantic.scope, similar.key);
      }
      const near = plan.semantic.verify && semantic.verify && semantic.nearest ? await semantic.nearest(plan.semantic.scope, request) : undefined;
      return { near };
    } catch {
      storeFailed(call, 'semantic');
      return {};
    }
  }

  /**
   * Exploration: the fresh answer to a prompt near a cached one says whether serving the cached
   * answer would have been right; the verdict teaches the layer's learned thresholds.
   */
  async function explore({ plan, call }: CachedCall, near: SemanticHit, result: ChatResult): Promise<void> {
    const semantic = semanticFor(call.feature);
    // Only a complete answer says what the right answer was.
    if (!plan.semantic || !semantic?.verify || result.finishReason !== 'stop') return;
    try {
      const cached = decodeAnswer(await store.get(near.key), plan.shape);
      if (cached) semantic.verify(plan.semantic.scope, plan.semantic.prompt, near, sameAnswer(cached.text, result.text));
    } catch {
      storeFailed(call, 'semantic');
    }
  }

  /** The hit as the caller's result: its own call id and latency, nothing charged. */
  function served(hit: Hit, { call }: CachedCall, stream: boolean): ChatResult {
    const { answer, similarity } = hit;
    if (events.active) {
      events.emit({ type: 'cache.hit', callId: call.id, feature: call.feature, at: clock.now(), stream, match: similarity === undefined ? 'exact' : 'semantic', similarity });
    }
    const result: ChatResult = {
      text: answer.text,
      message: { role: 'assistant', content: answer.text },
      finishReason: answer.finishReason,
      usage: NO_USAGE,
      provider: answer.provider,
      model: answer.model,
      costUsd: 0,
      attempts: [],
      candidates: [],
      latencyMs: clock.now() - call.startedAt,
      raw: answer.raw,
      cached: true,
      ...(similarity === undefined ? {} : { similarity }),
    };
    finish(call, stream, result);
    return result;
  }

  /** Keeps a result when it may be kept; returns the entry followers may share. */
  async function remember(cached: CachedCall, result: ChatResult, chunks: readonly unknown[] | undefined, near: SemanticHit | undefined): Promise<CachedAnswer | undefined> {
    const { plan, call } = cached;
    const semantic = semanticFor(call.feature);
    if (near) await explore(cached, near, result);
    const why = whyNotCacheable(result, plan.shape);
    if (why) {
      stored(call, why);
      return undefined;
    }
    const createdAt = clock.now();
    const json = encodeAnswer(result, createdAt, chunks);
    const bytes = Buffer.byteLength(json);
    if (bytes > plan.config.maxEntryBytes) {
      stored(call, 'too_large');
      return undefined;
    }
    try {
      await store.set(plan.key, json, { ttlMs: plan.config.ttlMs, bytes });
    } catch {
      storeFailed(call, 'set');
      return undefined;
    }
    stored(call);
    if (plan.semantic && semantic) {
      try {
        await semantic.remember(plan.semantic.scope, plan.semantic.prompt, plan.key, semanticLookupOf(cached, plan.semantic));
      } catch {
        storeFailed(call, 'semantic');
      }
    }
    return decodeAnswer(json, plan.shape);
  }

  /** Waits for another call's flight, within this call's own deadline and signal. */
  function follow(flight: Promise<CachedAnswer | undefined>, { signal, deadline }: CachedCall): Promise<CachedAnswer | undefined> {
    if (signal?.aborted) return Promise.reject(new KeelError('aborted', 'The caller aborted the call'));
    return new Promise((resolve, reject) => {
      const done = () => {
        timer.clear();
        signal?.removeEventListener('abort', onAbort);
      };
      const onAbort = () => {
        done();
        reject(new KeelError('aborted', 'The caller aborted the call'));
      };
      const timer = clock.setTimer(() => {
        done();
        reject(new KeelError('timeout', 'Deadline reached while waiting for an identical call in flight', { retryable: false }));
      }, Math.max(0, deadline - clock.now()));
      signal?.addEventListener('abort', onAbort, { once: true });
      flight.then((answer) => {
        done();
        resolve(answer);
      }, reject);
    });
  }

  /**
   * Looks up, else follows an identical call in flight, else leads: returns the hit, or the
   * flight to settle once this call's own result is known (undefined: not in a flight).
   */
  type Admitted = { hit: ChatResult; answer: CachedAnswer } | { settle: ((answer: CachedAnswer | undefined) => void) | undefined; near?: SemanticHit | undefined };

  async function admit(cached: CachedCall, stream: boolean): Promise<Admitted> {
    if (cached.plan.refresh) return { settle: undefined };
    for (let follows = 0; ; follows++) {
      const { hit, near } = await lookup(cached);
      if (hit) return { hit: served(hit, cached, stream), answer: hit.answer };
      const flight = flights.pending(cached.plan.key);
      if (!flight) {
        missed(cached.call);
        return { settle: flights.lead(cached.plan.key), near };
      }
      if (follows === MAX_FOLLOWS) return { settle: undefined, near };
      const answer = await follow(flight, cached);
      if (answer) return { hit: served({ answer }, cached, stream), answer };
    }
  }

  async function chat(cached: CachedCall, run: () => Promise<ChatResult>): Promise<ChatResult> {
    const admitted = await admit(cached, false);
    if ('hit' in admitted) return admitted.hit;
    let shared: CachedAnswer | undefined;
    try {
      const result = await run();
      shared = await remember(cached, result, undefined, admitted.near);
      return result;
    } finally {
      admitted.settle?.(shared);
    }
  }

  /** `start` runs at the first read, before anything else (it announces the call). */
  async function* stream(cached: CachedCall, start: () => void, run: () => AsyncIterable<StreamEvent>): AsyncGenerator<StreamEvent, void, undefined> {
    start();
    const admitted = await admit(cached, true);
    if ('hit' in admitted) {
      yield* replay(admitted.hit, cached.plan.shape === 'raw-chunks' ? admitted.answer.chunks : undefined);
      return;
    }
    let shared: CachedAnswer | undefined;
    // The drop-in's own chunks, for replay in its SDK's shape; dropped once past the entry cap.
    let chunks: unknown[] | undefined = cached.plan.shape === 'raw-chunks' ? [] : undefined;
    let chunkBytes = 0;
    try {
      for await (const event of run()) {
        if (event.type === 'raw' && chunks) {
          chunkBytes += JSON.stringify(event.chunk)?.length ?? 0;
          if (chunkBytes > cached.plan.config.maxEntryBytes) chunks = undefined;
          else chunks.push(event.chunk);
        }
        // Kept before the finish is handed out: a reader may stop right after it.
        if (event.type === 'finish' && (chunks || cached.plan.shape !== 'raw-chunks')) shared = await remember(cached, event.result, chunks, admitted.near);
        yield event;
      }
    } finally {
      admitted.settle?.(shared);
    }
  }

  return { chat, stream };
}

/** A hit as a stream: the same event shapes a live stream yields, then its finish. */
async function* replay(result: ChatResult, rawChunks: readonly unknown[] | undefined): AsyncGenerator<StreamEvent, void, undefined> {
  for (const chunk of rawChunks ?? []) yield { type: 'raw', chunk };
  if (result.text) yield { type: 'text', text: result.text };
  yield { type: 'usage', usage: result.usage };
  yield { type: 'finish', result };
}

/** The exploration judge: the same text after trimming, collapsing whitespace and case. */
function sameAnswer(a: string, b: string): boolean {
  const norm = (text: string) => text.trim().replace(/\s+/g, ' ').toLowerCase();
  return norm(a) === norm(b);
}

export type CacheStage = ReturnType<typeof createCacheStage>;
