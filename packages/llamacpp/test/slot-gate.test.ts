import { describe, expect, it } from 'vitest';
import { KeelError } from '@keel/core';
import { SlotGate } from '../src/index.js';

const signal = () => new AbortController().signal;

describe('SlotGate', () => {
  it('admits up to capacity, queues the rest FIFO, admits the next on release', async () => {
    const gate = new SlotGate({ provider: 'llamacpp' });
    gate.setCapacity(2);
    const order: number[] = [];
    const releases = await Promise.all([gate.acquire(signal()), gate.acquire(signal())]);
    const third = gate.acquire(signal()).then((release) => (order.push(3), release));
    const fourth = gate.acquire(signal()).then((release) => (order.push(4), release));
    expect(gate.stats()).toMatchObject({ inFlight: 2, waiting: 2 });
    releases[0]();
    releases[0](); // a second release is a no-op
    await third;
    expect(gate.stats()).toMatchObject({ inFlight: 2, waiting: 1 });
    releases[1]();
    (await fourth)();
    expect(order).toEqual([3, 4]);
    expect(gate.stats()).toMatchObject({ inFlight: 1, waiting: 0, maxInFlight: 2, shed: 0 });
  });

  it('sheds past maxQueue with a retryable overloaded error', async () => {
    const gate = new SlotGate({ provider: 'llamacpp', maxQueue: 1 });
    gate.setCapacity(1);
    await gate.acquire(signal());
    void gate.acquire(signal());
    await expect(gate.acquire(signal())).rejects.toMatchObject({ kind: 'overloaded', retryable: true, provider: 'llamacpp' });
    expect(gate.stats().shed).toBe(1);
  });

  it('a waiter aborted by the deadline rejects with that error and leaves the queue', async () => {
    const gate = new SlotGate({ provider: 'llamacpp' });
    gate.setCapacity(1);
    const release = await gate.acquire(signal());
    const controller = new AbortController();
    const waiting = gate.acquire(controller.signal);
    const deadline = new KeelError('timeout', 'deadline');
    controller.abort(deadline);
    await expect(waiting).rejects.toBe(deadline);
    expect(gate.stats().waiting).toBe(0);
    release();
    expect(gate.stats().inFlight).toBe(0);
  });

  it('unknown capacity admits everyone; setting it admits waiters that now fit', async () => {
    const gate = new SlotGate({ provider: 'llamacpp' });
    await gate.acquire(signal());
    await gate.acquire(signal());
    expect(gate.stats().inFlight).toBe(2);
  });
});
