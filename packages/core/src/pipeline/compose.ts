import type { Attempt, Policy } from './context.js';

/**
 * Nests policies around a terminal step, the first outermost:
 * `compose([retry, breaker, timeout], provider)` = retry(breaker(timeout(provider))).
 * A chain without a terminal step is a programming error and fails loudly.
 */
export function compose<T>(policies: readonly Policy[], terminal: Attempt<T>): Attempt<T> {
  if (typeof terminal !== 'function') {
    throw new TypeError('compose() needs a terminal step (the provider call) at the end of the chain');
  }
  return policies.reduceRight<Attempt<T>>((next, policy) => policy.wrap(next), terminal);
}
