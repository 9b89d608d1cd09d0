import type { Redis, Cluster } from 'ioredis';

/** An ioredis client: a single node (`new Redis(...)`) or a Cluster. */
export type RedisClient = Redis | Cluster;

type ScriptCall = (numKeys: number, ...args: (string | number)[]) => Promise<unknown>;

/**
 * Registers the scripts on the client (ioredis `defineCommand`: EVALSHA, and on NOSCRIPT —
 * after `SCRIPT FLUSH` or a restart — one EVAL of the same script; a script that was not
 * found never ran, so the fallback cannot apply anything twice) and returns callers for them.
 */
export function defineScripts<Name extends string>(client: RedisClient, scripts: Readonly<Record<Name, string>>): Record<Name, ScriptCall> {
  const calls = {} as Record<Name, ScriptCall>;
  const target = client as unknown as Record<string, ScriptCall | undefined>;
  for (const name of Object.keys(scripts) as Name[]) {
    if (typeof target[name] !== 'function') client.defineCommand(name, { lua: scripts[name] });
    const bound = target[name]!;
    calls[name] = (numKeys, ...args) => bound.call(client, numKeys, ...args);
  }
  return calls;
}

/** `{prefix}:` — the hash tag puts every key of one store in one Cluster slot. */
export function keyPrefix(prefix: string): string {
  if (prefix.length === 0 || /[{}]/.test(prefix)) throw new RangeError('redis store: prefix must be non-empty and contain no braces');
  return `{${prefix}}:`;
}

/** Script errors the scripts raise for a caller's mistake come back as RangeError, as in memory. */
export function rethrowScriptError(error: unknown): never {
  if (error instanceof Error && error.message.startsWith('KEEL_RANGE ')) throw new RangeError(error.message.slice('KEEL_RANGE '.length));
  throw error;
}

/** The script's `now` argument: '' asks the script to read the server's TIME. */
export function nowArg(timeSource: 'server' | 'caller', now: number | undefined): string {
  if (timeSource === 'server') return '';
  if (now === undefined) throw new RangeError("redis store: timeSource 'caller' needs `now` on every call");
  return String(now);
}
