/**
 * What a recovered stream may show its caller. The caller already holds `sent`; the new leg's
 * text passes through a gate so that nothing is shown twice and nothing is garbled.
 */
export interface PrefixGate {
  /** The part of `delta` the caller has not seen yet ('' while it is all old text). */
  pass(delta: string): string;
  /** False while a restart has not yet regenerated all of the text already sent. */
  readonly done: boolean;
}

/** Thrown by a restart gate whose regenerated text departs from what the caller already has. */
export class PrefixMismatch extends Error {
  override readonly name = 'PrefixMismatch';
}

/**
 * Restart: the regenerated answer must begin with exactly `expected` (what the caller received);
 * that prefix is dropped and the rest passes. The first character that differs throws
 * {@link PrefixMismatch}: the two answers diverged and cannot be joined.
 */
export function restartGate(expected: string): PrefixGate {
  let matched = 0;
  return {
    get done() {
      return matched >= expected.length;
    },
    pass(delta) {
      if (matched >= expected.length) return delta;
      const head = delta.slice(0, expected.length - matched);
      if (!expected.startsWith(head, matched)) throw new PrefixMismatch('The regenerated text differs from the text already sent');
      matched += head.length;
      return delta.slice(head.length);
    },
  };
}

/**
 * Continuation: the provider continues the prefill, which was sent without its trailing
 * whitespace (`trimmed`; the Messages API refuses a prefill ending in whitespace). The caller
 * already has that whitespace, so the continuation's leading run of it is dropped once, as far as
 * it matches; anything else passes unchanged.
 */
export function continuationGate(trimmed: string): PrefixGate {
  let pending = trimmed;
  return {
    done: true,
    pass(delta) {
      let i = 0;
      while (pending.length > 0 && i < delta.length && delta[i] === pending[0]) {
        pending = pending.slice(1);
        i++;
      }
      // Only the start of the continuation is checked: after its first other character, stop.
      if (i < delta.length) pending = '';
      return delta.slice(i);
    },
  };
}
