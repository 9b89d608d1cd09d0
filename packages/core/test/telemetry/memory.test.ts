import { describe, expect, it } from 'vitest';
import { T0, calls } from './events.js';
import { ms, setup } from './support.js';

const c = calls();

describe('bounded memory', () => {
  it('call.finished always removes the call; attempts leave on succeeded / failed', () => {
    const t = setup();
    t.emit(c.started(0), c.attemptStarted(0, 1));
    expect(t.telemetry.openCalls()).toBe(1);
    t.emit(c.attemptFailed(1, 1), c.attemptStarted(2, 2), c.attemptSucceeded(3, 1, 2));
    expect(t.spans().map((s) => s.name)).toEqual(['chat gpt-4o-mini attempt 1', 'chat gpt-4o-mini attempt 2']);
    t.emit(c.finished(3, { outcome: 'server' }));
    expect(t.telemetry.openCalls()).toBe(0);
    expect(t.spans()).toHaveLength(3);
  });

  it('a call that never finishes is evicted beyond maxOpenCalls, oldest first, and ended as abandoned', () => {
    const t = setup({ maxOpenCalls: 3 });
    for (let i = 0; i < 5; i++) t.emit(calls(`c${i}`).started(i));
    expect(t.telemetry.openCalls()).toBe(3);
    const abandoned = t.spans();
    expect(abandoned.map((s) => s.attributes['keel.call_id'])).toEqual(['c0', 'c1']);
    expect(abandoned.every((s) => s.attributes['keel.telemetry.abandoned'] === true)).toBe(true);
    // Ended when the call that pushed it out started.
    expect(ms(abandoned[0]!.endTime)).toBe(T0 + 3);
    // A late finish of an evicted call is harmless.
    expect(() => t.emit(calls('c0').finished(10))).not.toThrow();
    expect(t.telemetry.openCalls()).toBe(3);
  });

  it('an evicted call’s open attempt span ends with it', () => {
    const t = setup({ maxOpenCalls: 1 });
    t.emit(c.started(0), c.attemptStarted(0), calls('c2').started(5));
    expect(t.spans().map((s) => [s.name, s.attributes['keel.telemetry.abandoned']])).toEqual([
      ['chat gpt-4o-mini attempt 1', true],
      ['chat gpt-4o-mini', true],
    ]);
  });

  it('a call older than maxCallAgeMs is evicted when the next one starts', () => {
    const t = setup({ maxCallAgeMs: 1000 });
    t.emit(calls('old').started(0), calls('recent').started(600), calls('new').started(1500));
    expect(t.spans().map((s) => s.attributes['keel.call_id'])).toEqual(['old']);
    expect(t.telemetry.openCalls()).toBe(2);
  });

  it('a repeated call id ends the stale span instead of leaking it', () => {
    const t = setup();
    t.emit(c.started(0), c.started(5));
    expect(t.telemetry.openCalls()).toBe(1);
    expect(t.spans()).toHaveLength(1);
  });

  it('endAll ends every open span', () => {
    const t = setup();
    t.emit(c.started(0), c.attemptStarted(0), calls('c2').started(1));
    t.telemetry.endAll(T0 + 50);
    expect(t.telemetry.openCalls()).toBe(0);
    expect(t.spans()).toHaveLength(3);
    expect(t.spans().every((s) => ms(s.endTime) === T0 + 50)).toBe(true);
  });

  it('stays bounded under many unfinished calls', () => {
    const t = setup({ maxOpenCalls: 100 });
    for (let i = 0; i < 2_000; i++) t.emit(calls(`c${i}`).started(i));
    expect(t.telemetry.openCalls()).toBe(100);
  });
});
