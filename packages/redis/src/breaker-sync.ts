import { randomUUID } from 'node:crypto';
import type { Keel, KeelEvent } from '@keel/core';
import { keyPrefix, type RedisClient } from './commands.js';

export interface RedisBreakerSyncOptions {
  /** The replica's Keel. */
  readonly keel: Keel;
  /** Publishes opens; duplicated (`client.duplicate()`) for the subscription, which it closes. */
  readonly client: RedisClient;
  /** Channel `{<prefix>}:breaker`. @default 'keel' */
  readonly prefix?: string | undefined;
}

export interface RedisBreakerSync {
  /** Resolves once the subscription is live. */
  readonly ready: Promise<void>;
  /** Unsubscribes and closes its subscriber connection. */
  close(): Promise<void>;
}

interface OpenMessage {
  readonly origin: string;
  readonly provider: string;
  readonly model: string;
}

/**
 * Shares breaker opens across replicas over Redis pub/sub: when one replica's breaker for a
 * provider+model opens, every replica subscribed on the same channel opens its own
 * (`keel.tripBreaker`). Only opens travel; each replica half-opens and probes on its own
 * schedule, so recovery needs no coordination. Best effort by design: a replica that misses a
 * message (not connected at the time) simply trips on its own failures as before.
 */
export function createRedisBreakerSync(options: RedisBreakerSyncOptions): RedisBreakerSync {
  const { keel, client } = options;
  const channel = `${keyPrefix(options.prefix ?? 'keel')}breaker`;
  const origin = randomUUID();
  // Redis and Cluster both have duplicate(); their signatures differ, so call it untyped.
  const subscriber = (client.duplicate as () => RedisClient).call(client);
  subscriber.on('error', () => {}); // reconnects and resubscribes by itself
  // The open being applied from another replica: not published back.
  let applying: string | undefined;

  const unsubscribe = keel.on((event: KeelEvent) => {
    if (event.type !== 'breaker.opened') return;
    const key = `${event.provider}\u0000${event.model}`;
    if (key === applying) return;
    const message: OpenMessage = { origin, provider: event.provider, model: event.model };
    client.publish(channel, JSON.stringify(message)).catch(() => undefined);
  });

  subscriber.on('message', (_channel: string, raw: string) => {
    let message: OpenMessage;
    try {
      message = JSON.parse(raw) as OpenMessage;
    } catch {
      return;
    }
    if (message.origin === origin || typeof message.provider !== 'string' || typeof message.model !== 'string') return;
    applying = `${message.provider}\u0000${message.model}`;
    try {
      keel.tripBreaker(message.provider, message.model);
    } finally {
      applying = undefined;
    }
  });
  const ready = subscriber.subscribe(channel).then(() => undefined);

  return {
    ready,
    async close() {
      unsubscribe();
      subscriber.disconnect();
    },
  };
}
