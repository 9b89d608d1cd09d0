import { KeelError } from '@keel/core';
import type { RedisClient } from './commands.js';

/**
 * What a store does while Redis cannot be reached (not connected, or no answer within
 * `outageTimeoutMs`):
 * - `'fail-closed'` (default): new calls are refused with a non-retryable `server` KeelError;
 *   nothing is sent to a provider uncounted.
 * - `'fail-open'`: new calls are counted in memory by this replica alone — each replica then
 *   allows the full limit, so N replicas may spend up to N × the limit while Redis is down.
 * - `{ lease: { share } }`: counted in memory against `share` of the room this replica last saw
 *   in Redis (of the full limit for a counter it never saw) — with `share = 1 / replicas`, the
 *   replicas together stay within what was left when Redis went away.
 * Spend counted in memory stays in memory; it is not written back to Redis afterwards.
 */
export type OutagePolicy = 'fail-closed' | 'fail-open' | { readonly lease: { readonly share: number } };

export interface OutageOptions {
  /** @default 'fail-closed' */
  readonly onOutage?: OutagePolicy | undefined;
  /**
   * How long a reserve (or take) waits for Redis before the outage policy applies. A command
   * that answers later still runs (ioredis resends on reconnect); a late reserve's hold then
   * simply expires. Settles and releases are never given up: they stay queued in ioredis (use
   * `maxRetriesPerRequest: null` so they outlast a long outage) and the caller is answered after
   * this long. @default 1000
   */
  readonly outageTimeoutMs?: number | undefined;
}

export function validateOutage(options: OutageOptions): { policy: OutagePolicy; timeoutMs: number } {
  const policy = options.onOutage ?? 'fail-closed';
  if (typeof policy === 'object') {
    const share = policy.lease?.share;
    if (!(typeof share === 'number' && share > 0 && share <= 1)) throw new RangeError('redis store: onOutage.lease.share must be a number in (0, 1]');
  } else if (policy !== 'fail-closed' && policy !== 'fail-open') {
    throw new RangeError(`redis store: onOutage must be 'fail-closed', 'fail-open' or { lease: { share } }`);
  }
  const timeoutMs = options.outageTimeoutMs ?? 1_000;
  if (!(timeoutMs > 0) || !Number.isFinite(timeoutMs)) throw new RangeError('redis store: outageTimeoutMs must be > 0');
  return { policy, timeoutMs };
}

/** Raised inside the store when Redis did not answer in time. */
class RedisTimeout extends Error {
  override readonly name = 'RedisTimeout';
}

/**
 * Whether the client knows Redis is gone (lost and not back yet, or closed). A client still
 * making its first connection is not down: its commands wait, up to the timeout.
 */
export function isDown(client: RedisClient): boolean {
  return client.status === 'reconnecting' || client.status === 'close' || client.status === 'end';
}

/** `work`, or a RedisTimeout after `ms` (the work itself carries on; its outcome is dropped then). */
export function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new RedisTimeout(`no answer from Redis within ${ms} ms`)), ms);
    timer.unref();
  });
  work.catch(() => undefined);
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/** Whether an error means "Redis is not reachable" rather than a caller's mistake. */
export function isOutage(error: unknown): boolean {
  return !(error instanceof RangeError);
}

export function storeUnavailable(what: 'budget' | 'rate-limit', cause: unknown): KeelError {
  return new KeelError('server', `The shared ${what} store (Redis) is unavailable; the call was refused (onOutage: fail-closed)`, { retryable: false, cause });
}
