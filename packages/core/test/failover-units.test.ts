/** Units of issue #22 that need no provider: the hedge delay and budget, the context-window catalog, the prefix gates, the defaults. */
import { describe, expect, it } from 'vitest';
import { resolveFailover } from '../src/config/failover-schema.js';
import { contextWindowOf } from '../src/models/context-windows.js';
import { acceptsPrefill } from '../src/models/prefill.js';
import { HEDGE_LOST, Hedger, raceHedged } from '../src/pipeline/hedge.js';
import { continuationGate, PrefixMismatch, restartGate } from '../src/pipeline/prefix-gate.js';
import type { Clock } from '../src/util/clock.js';

const frozen: Clock = { now: () => 0, setTimer: () => ({ clear: () => undefined }), sleep: () => Promise.resolve() };

describe('Hedger', () => {
  it('uses the fixed delay until minSamples streams were seen, then the percentile of their TTFT', () => {
    const hedger = new Hedger({ delayMs: 2_000, percentile: 90, minSamples: 10, maxRatio: 1 }, frozen);
    for (let i = 1; i <= 9; i++) hedger.observe(i * 100);
    expect(hedger.delayMs()).toBe(2_000);
    hedger.observe(1_000);
    // 100…1000 ms: the 90th percentile is the 9th sample.
    expect(hedger.delayMs()).toBe(900);
  });

  it('keeps chat response times apart from stream first-token times: each kind has its own percentile', () => {
    const hedger = new Hedger({ delayMs: 2_000, percentile: 50, minSamples: 2, maxRatio: 1 }, frozen);
    hedger.observe(100, 'stream');
    hedger.observe(100, 'stream');
    hedger.observe(1_500, 'chat');
    expect(hedger.delayMs('stream')).toBe(100);
    expect(hedger.delayMs('chat')).toBe(2_000);
    hedger.observe(1_700, 'chat');
    expect(hedger.delayMs('chat')).toBe(1_500);
    expect(hedger.admit('chat')).toBe(1_500);
  });

  it('allows at most maxRatio of calls to hedge', () => {
    const hedger = new Hedger({ delayMs: 0, minSamples: 20, maxRatio: 0.05 }, frozen);
    let hedges = 0;
    for (let i = 0; i < 100; i++) {
      hedger.admit();
      if (hedger.tryHedge()) hedges++;
    }
    expect(hedges).toBe(5);
  });
});

describe('raceHedged', () => {
  /** A clock whose timers fire only when `fire()` is called. */
  function manualClock() {
    const timers: (() => void)[] = [];
    const clock: Clock = { now: () => 0, setTimer: (fn) => (timers.push(fn), { clear: () => undefined }), sleep: () => Promise.resolve() };
    return { clock, fire: () => timers.splice(0).forEach((fn) => fn()) };
  }

  it('the first side to succeed wins; the loser is aborted with HEDGE_LOST, and one that succeeds anyway is disposed with its side', async () => {
    const { clock, fire } = manualClock();
    const resolvers: Partial<Record<'primary' | 'backup', (value: string) => void>> = {};
    const signals: Partial<Record<'primary' | 'backup', AbortSignal>> = {};
    const disposed: [string, string][] = [];
    const outcome = raceHedged<string>({
      clock,
      delayMs: 500,
      callerSignal: undefined,
      mayHedge: () => true,
      dispose: (value, side) => void disposed.push([value, side]),
      start: (side, signal) => {
        signals[side] = signal;
        return new Promise((resolve) => (resolvers[side] = resolve));
      },
    });
    fire();
    expect(Object.keys(resolvers)).toEqual(['primary', 'backup']);
    resolvers.backup!('from the backup');
    // The primary answers in the same instant, before it saw its abort.
    resolvers.primary!('from the primary');
    await expect(outcome).resolves.toEqual({ ok: true, value: 'from the backup', winner: 'backup', backupSent: true });
    expect(signals.primary!.reason).toBe(HEDGE_LOST);
    expect(signals.backup!.aborted).toBe(false);
    await Promise.resolve();
    expect(disposed).toEqual([['from the primary', 'primary']]);
  });

  it('without room in the hedge budget no backup starts', async () => {
    const { clock, fire } = manualClock();
    const started: string[] = [];
    const outcome = raceHedged<string>({
      clock,
      delayMs: 500,
      callerSignal: undefined,
      mayHedge: () => false,
      dispose: () => undefined,
      start: (side) => (started.push(side), side === 'primary' ? new Promise((resolve) => setImmediate(() => resolve('late'))) : Promise.resolve('never')),
    });
    fire();
    await expect(outcome).resolves.toMatchObject({ ok: true, winner: 'primary', backupSent: false });
    expect(started).toEqual(['primary']);
  });
});

describe('context windows', () => {
  it('knows the default-priced models and their dated snapshots; configuration wins; unknown is undefined', () => {
    expect(contextWindowOf({ provider: 'openai', model: 'gpt-4o-2024-08-06' })).toBe(128_000);
    expect(contextWindowOf({ provider: 'openai', model: 'gpt-4.1' })).toBe(1_047_576);
    expect(contextWindowOf({ provider: 'anthropic', model: 'claude-sonnet-4-5-20250929' })).toBe(200_000);
    expect(contextWindowOf({ provider: 'anthropic', model: 'claude-sonnet-4-5', contextWindow: 1_000_000 })).toBe(1_000_000);
    expect(contextWindowOf({ provider: 'openai', model: 'gpt-4o-audio-preview' })).toBeUndefined();
    expect(contextWindowOf({ provider: 'llamacpp', model: 'qwen' })).toBeUndefined();
  });

  it('prefill continuation: Anthropic and llama.cpp by default, overridable per model', () => {
    expect(acceptsPrefill({ provider: 'anthropic' })).toBe(true);
    expect(acceptsPrefill({ provider: 'openai' })).toBe(false);
    expect(acceptsPrefill({ provider: 'anthropic', prefill: false })).toBe(false);
  });
});

describe('prefix gates', () => {
  it('restart: drops the regenerated prefix across delta boundaries, passes the rest', () => {
    const gate = restartGate('The quick ');
    expect([gate.pass('The '), gate.pass('qu'), gate.pass('ick brown '), gate.pass('fox')]).toEqual(['', '', 'brown ', 'fox']);
    expect(gate.done).toBe(true);
  });

  it('restart: a diverging character throws; a shorter regeneration is not done', () => {
    const gate = restartGate('The quick ');
    expect(gate.pass('The ')).toBe('');
    expect(gate.done).toBe(false);
    expect(() => gate.pass('slow')).toThrow(PrefixMismatch);
  });

  it('continuation: the whitespace cut off the prefill is dropped once, only at the start', () => {
    const gate = continuationGate(' ');
    expect([gate.pass(' brown '), gate.pass(' fox')]).toEqual(['brown ', ' fox']);
    expect(continuationGate(' ').pass('brown')).toBe('brown');
  });
});

describe('failover defaults', () => {
  it('timeouts fail over, transient kinds retry, caller-caused kinds fail; feature actions merge per kind', () => {
    const resolved = resolveFailover({ actions: { overloaded: 'failover' } }, { actions: { server: 'fail' } });
    expect(resolved.actions).toMatchObject({ timeout: 'failover', connection: 'retry', overloaded: 'failover', server: 'fail', auth: 'fail', context_length: 'failover' });
    expect(resolved).toMatchObject({ midStream: 'continue', maxRecoveries: 2, hedge: undefined });
  });
});
