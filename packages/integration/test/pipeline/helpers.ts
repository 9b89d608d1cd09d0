import { createKeel, type FeatureConfig, type KeelEvent, type KeelOptions, type Provider } from '@keel/core';

export const user = (content = 'hello') => [{ role: 'user' as const, content }];

/** A Keel over one provider with one feature `f`, collecting every event. */
export function keelWith(provider: Provider, feature: Partial<FeatureConfig> = {}, options: Partial<KeelOptions> = {}) {
  const events: KeelEvent[] = [];
  const keel = createKeel({
    providers: [provider],
    features: { f: { models: [{ provider: provider.id, model: 'm' }], ...feature } },
    onEvent: (event) => events.push(event),
    ...options,
  });
  return { keel, events };
}

export { keelFailure as failure } from '@keel/testkit';
