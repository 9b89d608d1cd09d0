import { readFileSync } from 'node:fs';
import { trace } from '@opentelemetry/api';
import { AlwaysOffSampler, BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { hrTime } from '../../src/telemetry/attributes.js';
import { createOpenTelemetry } from '../../src/telemetry/index.js';
import { SCOPE } from '../../src/telemetry/names.js';
import { calls } from './events.js';
import { setup } from './support.js';

describe('instrumentation scope', () => {
  it('names the tracer and meter @keel/core at the package version', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { name: string; version: string };
    expect(SCOPE).toEqual({ name: pkg.name, version: pkg.version });
    const t = setup();
    const c = calls();
    t.emit(c.started(0), c.finished(1));
    expect(t.span('chat gpt-4o-mini').instrumentationScope).toMatchObject({ name: '@keel/core', version: pkg.version });
  });

  it('with no SDK registered everything is a no-op and nothing throws', () => {
    const telemetry = createOpenTelemetry();
    const c = calls();
    expect(() => [c.started(0), c.attemptStarted(0), c.attemptSucceeded(1, 1), c.firstToken(1, 1), c.finished(2)].forEach(telemetry.listener)).not.toThrow();
    expect(telemetry.openCalls()).toBe(0);
  });

  it('with no SDK nothing is kept for a call even while it is open: no span to nest under', () => {
    const telemetry = createOpenTelemetry();
    const c = calls();
    telemetry.listener(c.started(0));
    telemetry.listener(c.attemptStarted(0));
    expect(telemetry.openCalls()).toBe(0);
    expect(telemetry.contextFor(c.started(0).callId)).toBeUndefined();
  });

  it('a call an SDK samples out is still kept: its trace context carries on to the attempts', () => {
    const tracerProvider = new BasicTracerProvider({ sampler: new AlwaysOffSampler() });
    const telemetry = createOpenTelemetry({ tracerProvider });
    const c = calls();
    telemetry.listener(c.started(0));
    expect(telemetry.openCalls()).toBe(1);
    const context = telemetry.contextFor(c.started(0).callId);
    expect(context && trace.isSpanContextValid(trace.getSpanContext(context)!)).toBe(true);
    telemetry.listener(c.finished(1));
    expect(telemetry.openCalls()).toBe(0);
  });
});

describe('event times', () => {
  it('converts epoch milliseconds, fractions included, to a valid HrTime', () => {
    expect(hrTime(1_700_000_000_123)).toEqual([1_700_000_000, 123_000_000]);
    expect(hrTime(0.5)).toEqual([0, 500_000]);
    const [, nanos] = hrTime(1_700_000_000_999.9999999);
    expect(nanos).toBeLessThan(1e9);
  });
});
