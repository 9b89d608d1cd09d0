import type { FeatureConfig, ResolvedFeature } from '../config/schema.js';
import { cascadeSchema } from '../pipeline/cascade-schema.js';
import type { StructuredFeature } from './object.js';

/**
 * Each feature's models and resolved `cascade` block, for `keel.object`. The configuration was
 * already validated by `createKeel` (the cascade block is part of the feature schema); this
 * only fills in the cascade's defaults, once.
 */
export function structuredFeatures(
  configs: Readonly<Record<string, FeatureConfig>>,
  resolved: ReadonlyMap<string, ResolvedFeature>,
): (name: string) => StructuredFeature | undefined {
  const features = new Map<string, StructuredFeature>();
  for (const [name, feature] of resolved) {
    const cascade = configs[name]?.cascade;
    features.set(name, { models: feature.models, cascade: cascade ? cascadeSchema.parse(cascade) : undefined });
  }
  return (name) => features.get(name);
}
