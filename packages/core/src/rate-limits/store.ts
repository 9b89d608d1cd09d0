/** One limit a call must pass: `amount` out of `limit` per window. */
export interface RateLimitLine {
  readonly key: string;
  readonly limit: number;
  readonly amount: number;
  /** For telemetry and refunds; the store ignores it. */
  readonly unit?: 'tokens' | 'requests' | undefined;
}

export interface TakeRequest {
  readonly lines: readonly RateLimitLine[];
  /** Epoch ms; defaults to the store's clock. A Redis store uses the server's clock instead. */
  readonly now?: number | undefined;
  /** The period `limit` is counted over. @default 60000 (per minute) */
  readonly windowMs?: number | undefined;
}

export type TakeResult =
  | { readonly ok: true }
  | {
      readonly ok: false;
      /** Index of the line that decides the wait (the longest one). */
      readonly line: number;
      readonly key: string;
      readonly limit: number;
      /**
       * Exact wait until this request would pass, if nothing else takes from the same keys
       * meanwhile. Absent when it never can: `amount > limit`.
       */
      readonly retryAfterMs?: number | undefined;
    };

/**
 * Where rate limits are counted. `take` is atomic and all-or-nothing across its lines; a Redis
 * implementation is one Lua script over one number per key (see gcra.ts).
 */
export interface RateLimitStore {
  take(request: TakeRequest): Promise<TakeResult>;
  /**
   * Gives back part of what a `take` charged — e.g. a call reserved its upper-bound tokens and
   * used fewer. Never fills a bucket past full.
   */
  refund(request: TakeRequest): Promise<void>;
}
