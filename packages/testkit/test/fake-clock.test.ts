import type { Clock } from '@keel/core';
import { describe, expect, it } from 'vitest';
import { createFakeClock } from '../src/index.js';
import { rejectionOf } from './helpers.js';

describe('createFakeClock', () => {
  it('implements core’s Clock and starts where told', () => {
    const clock: Clock = createFakeClock({ start: 1_700_000_000_000 });
    expect(clock.now()).toBe(1_700_000_000_000);
  });

  it('fires timers when virtual time reaches them, in time order, ties in creation order', () => {
    const clock = createFakeClock();
    const fired: string[] = [];
    clock.setTimer(() => fired.push('b@20'), 20);
    clock.setTimer(() => fired.push('a@10'), 10);
    clock.setTimer(() => fired.push('c@20'), 20);

    clock.advance(9);
    expect(fired).toEqual([]);
    clock.advance(11);
    expect(fired).toEqual(['a@10', 'b@20', 'c@20']);
    expect(clock.elapsed()).toBe(20);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('shows each timer the time it was due, and fires timers scheduled by timers within the window', () => {
    const clock = createFakeClock();
    const seen: number[] = [];
    clock.setTimer(() => {
      seen.push(clock.now());
      clock.setTimer(() => seen.push(clock.now()), 5);
    }, 10);

    clock.advance(100);
    expect(seen).toEqual([10, 15]);
    expect(clock.now()).toBe(100);
  });

  it('cleared timers never fire', () => {
    const clock = createFakeClock();
    let fired = false;
    clock.setTimer(() => (fired = true), 10).clear();
    clock.advance(10);
    expect(fired).toBe(false);
  });

  it('sleep advances time at once, records the wait and fires due timers', async () => {
    const clock = createFakeClock();
    let fired = false;
    clock.setTimer(() => (fired = true), 500);

    await clock.sleep(1_000);
    await clock.sleep(250);

    expect(clock.elapsed()).toBe(1_250);
    expect(clock.sleeps).toEqual([1_000, 250]);
    expect(fired).toBe(true);
  });

  it('sleep takes no real time: an hour of back-off resolves before a zero-delay macrotask', async () => {
    const clock = createFakeClock();
    const order: string[] = [];
    const macrotask = new Promise<void>((resolve) => setImmediate(() => resolve(void order.push('macrotask'))));
    await clock.sleep(3_600_000).then(() => order.push('sleep'));
    await macrotask;
    expect(order).toEqual(['sleep', 'macrotask']);
  });

  it('sleep rejects with the reason when the signal is already aborted, or is aborted by a timer it fires', async () => {
    const clock = createFakeClock();
    const before = new AbortController();
    before.abort(new Error('already'));
    expect(await rejectionOf(clock.sleep(100, before.signal))).toEqual(new Error('already'));
    expect(clock.elapsed()).toBe(0);

    // A deadline timer that fires during the sleep aborts it.
    const deadline = new AbortController();
    clock.setTimer(() => deadline.abort(new Error('deadline')), 50);
    expect(await rejectionOf(clock.sleep(100, deadline.signal))).toEqual(new Error('deadline'));
    expect(clock.sleeps).toEqual([100, 100]);
  });
});
