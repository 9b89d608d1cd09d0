import type { CacheScope } from '../semantic-layer.js';

/**
 * The one string a scope's vectors live under: the embedder, tenant, feature and user. JSON of
 * an array, so no separator inside a value can make two scopes collide.
 */
export function semanticScopeKey(embedderId: string, scope: CacheScope): string {
  return JSON.stringify([embedderId, scope.tenant, scope.feature, scope.user ?? null]);
}
