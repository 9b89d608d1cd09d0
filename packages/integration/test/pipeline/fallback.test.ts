import { createScriptedProvider } from '@keel/testkit';
import { describe, expect, it } from 'vitest';
import { createKeel, KeelError, type KeelEvent, type Policy } from '@keel/core';
import { user } from './helpers.js';

describe('fallback across candidate models', () => {
  function setup(primary: Parameters<typeof createScriptedProvider>[0]) {
    const a = createScriptedProvider({ id: 'a', ...primary });
    const b = createScriptedProvider({ id: 'b', steps: [{ text: 'from b' }] });
    const events: KeelEvent[] = [];
    const keel = createKeel({
      providers: [a, b],
      features: { f: { models: [{ provider: 'a', model: 'big' }, { provider: 'b', model: 'small' }], retry: { maxAttempts: 2, baseDelayMs: 0 } } },
      onEvent: (e) => events.push(e),
    });
    return { a, b, keel, events };
  }

  it('moves to the next candidate when the primary stays unavailable, and reports who answered', async () => {
    const { a, keel, events } = setup({ steps: () => ({ error: new KeelError('overloaded', 'busy', { status: 529 }) }) });
    const result = await keel.chat({ feature: 'f', messages: user() });
    expect(result).toMatchObject({ text: 'from b', provider: 'b', model: 'small' });
    expect(result.attempts.map((x) => `${x.provider}:${x.outcome}`)).toEqual(['a:overloaded', 'a:overloaded', 'b:ok']);
    expect(a.calls).toHaveLength(2);
    expect(events.find((e) => e.type === 'fallback')).toMatchObject({ from: 'a/big', to: 'b/small', kind: 'overloaded' });
    keel.close();
  });

  it('does not fall back on errors another model would not fix', async () => {
    const { b, keel } = setup({ steps: [{ error: new KeelError('auth', 'bad key', { status: 401 }) }] });
    await expect(keel.chat({ feature: 'f', messages: user() })).rejects.toMatchObject({ kind: 'auth' });
    expect(b.calls).toHaveLength(0);
    keel.close();
  });
});

describe('policy order: retry → circuit breaker → attempt timeout → provider', () => {
  it('composes the first policy outermost', async () => {
    const { compose } = await import('@keel/core');
    const order: string[] = [];
    const policy = (name: string): Policy => ({
      name,
      wrap: (next) => async (context) => {
        order.push(`${name}>`);
        const result = await next(context);
        order.push(`<${name}`);
        return result;
      },
    });
    const run = compose([policy('retry'), policy('breaker'), policy('timeout')], async () => {
      order.push('provider');
      return 1;
    });
    await run({} as never);
    expect(order).toEqual(['retry>', 'breaker>', 'timeout>', 'provider', '<timeout', '<breaker', '<retry']);
    expect(() => compose([], undefined as never)).toThrow(/terminal/);
  });
});
