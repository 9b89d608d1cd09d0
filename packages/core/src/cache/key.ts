import { createHash } from 'node:crypto';
import type { ValidatedRequest } from '../config/request.js';
import { canonicalJson } from './canonical.js';
import type { CacheScope } from './semantic-layer.js';

/**
 * An exact-cache key: a SHA-256 of the scope and the normalised request. Branded so that only
 * `exactCacheKey` makes one: no code path can write an entry outside a tenant + feature scope.
 */
export type CacheKey = string & { readonly __cacheKey: unique symbol };

/**
 * What an entry holds, which is part of its key: `keel` (text, usage, finish: `keel.chat` and
 * `keel.stream` share it), or a drop-in's own SDK shapes (a response object, or its chunks).
 */
export type CacheShape = 'keel' | 'raw-response' | 'raw-chunks';

/** Everything that changes the answer, in a fixed order. */
export interface CacheRequest {
  readonly messages: ValidatedRequest['messages'];
  /** The model the request asked for, or the feature's candidates (`provider/model`, in order). */
  readonly models: readonly string[];
  readonly maxTokens: number | undefined;
  readonly temperature: number | undefined;
  readonly extra: ValidatedRequest['extra'];
}

const KEY_VERSION = 'keel:cache:v1:';

export function exactCacheKey(scope: CacheScope, shape: CacheShape, request: CacheRequest): CacheKey {
  const hash = createHash('sha256');
  hash.update(JSON.stringify([scope.tenant, scope.feature, scope.user ?? null, shape, request.models, request.maxTokens ?? null, request.temperature ?? null]));
  for (const message of request.messages) hash.update('\u0000').update(message.role).update('\u0000').update(message.content);
  hash.update('\u0001').update(request.extra === undefined ? '' : canonicalJson(request.extra));
  return (KEY_VERSION + hash.digest('hex')) as CacheKey;
}

/**
 * The semantic layer compares prompts only among requests that agree on everything but the last
 * user turn: its scope's feature carries a hash of the rest (system prompt, earlier turns,
 * models, parameters, shape), so a similar question asked with other parameters never matches.
 */
export function semanticScope(scope: CacheScope, shape: CacheShape, request: CacheRequest): CacheScope {
  const rest = { ...request, messages: request.messages.slice(0, -1) };
  const fingerprint = exactCacheKey(scope, shape, rest).slice(KEY_VERSION.length, KEY_VERSION.length + 16);
  return { tenant: scope.tenant, feature: `${scope.feature}#${fingerprint}`, user: scope.user };
}
