import { describe, expect, it } from 'vitest';
import { unreadStreamRules } from '../src/drop-in/options.js';
import { systemClock, type Clock } from '../src/util/clock.js';

describe('unreadStreamRules', () => {
  const clock: Clock = { ...systemClock };

  it('gives each feature its own firstTokenMs over the defaults, and every other name the defaults', () => {
    const ruleOf = unreadStreamRules({
      feature: 'support',
      defaults: { timeouts: { firstTokenMs: 1_000 } },
      features: { support: { timeouts: { firstTokenMs: 2_500 } }, search: {} },
      keel: { clock },
    });
    expect(ruleOf('support')).toEqual({ clock, firstReadMs: 2_500 });
    expect(ruleOf('search')).toEqual({ clock, firstReadMs: 1_000 });
    // Not a configured feature (keel.chat refuses it later): never an inherited Object member.
    expect(ruleOf('constructor')).toEqual({ clock, firstReadMs: 1_000 });
  });

  it("falls back to the schema's default and the system clock", () => {
    expect(unreadStreamRules({ feature: 'support' })('support')).toEqual({ clock: systemClock, firstReadMs: 15_000 });
  });
});
