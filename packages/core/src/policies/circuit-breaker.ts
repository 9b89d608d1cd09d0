import { KeelError } from '../errors/keel-error.js';
import type { Attempt, Policy } from '../pipeline/context.js';
import { classifyFailure } from './breaker-outcome.js';
import type { BreakerRegistry } from './breaker-registry.js';

export { BreakerRegistry } from './breaker-registry.js';
export type { BreakerSnapshot, BreakerState } from './provider-breaker.js';

/**
 * The breaker policy: every attempt passes through its provider+model's breaker. An open
 * breaker (or a half-open one whose single probe is in flight) fails fast with `circuit_open`
 * and sends nothing. After the attempt, a success or a provider failure is recorded; a neutral
 * outcome (`breaker-outcome.ts`: caller abort, the call's deadline, caller-caused kinds, 429) is
 * not recorded at all.
 */
export function circuitBreakerPolicy(registry: BreakerRegistry): Policy {
  return {
    name: 'circuit-breaker',
    wrap<T>(next: Attempt<T>): Attempt<T> {
      return async (context) => {
        const breaker = registry.get(context.provider, context.model);
        const admission = breaker.admit();
        if (admission === 'rejected') {
          throw new KeelError('circuit_open', `Circuit open for ${context.provider}/${context.model}; nothing was sent`, {
            provider: context.provider,
            model: context.model,
          });
        }
        try {
          const result = await next(context);
          const recorded = breaker.record('success');
          // Only a probe's success changes the breaker's state (it closes it), so only a probe
          // waits for opossum to decide; a closed breaker's success is counted as it starts
          // (opossum's `fires`, which its error rate divides by) and needs no promise ticks here.
          if (admission === 'probe') await recorded;
          return result;
        } catch (error) {
          if (classifyFailure(error, context.signal) === 'failure') await breaker.record('failure', error);
          throw error;
        } finally {
          if (admission === 'probe') breaker.releaseProbe();
        }
      };
    },
  };
}
