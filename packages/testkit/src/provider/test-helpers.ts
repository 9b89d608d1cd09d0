import { KeelError, type CallContext, type ProviderStreamPart } from '@keel/core';

/**
 * Small helpers for tests of a Provider or of Keel itself, shared so each adapter's suite does
 * not carry its own copy. They depend on no test runner.
 */

/** A context for calling a Provider directly: its own signal, a minute's deadline, attempt 1. */
export function callContext(signal: AbortSignal = new AbortController().signal): CallContext {
  return { signal, deadline: Date.now() + 60_000, attempt: 1 };
}

/** Reads a provider stream to its end. */
export async function collectParts(parts: AsyncIterable<ProviderStreamPart>): Promise<ProviderStreamPart[]> {
  const out: ProviderStreamPart[] = [];
  for await (const part of parts) out.push(part);
  return out;
}

/** The text of a list of stream parts. */
export function textOfParts(parts: readonly ProviderStreamPart[]): string {
  return parts.map((part) => (part.type === 'text' ? part.text : '')).join('');
}

/**
 * Awaits work that must fail with a KeelError and returns that error. Resolving, or failing with
 * anything else, throws — so the test fails with a message saying which.
 */
export async function keelFailure(work: Promise<unknown> | (() => Promise<unknown>)): Promise<KeelError> {
  try {
    await (typeof work === 'function' ? work() : work);
  } catch (error) {
    if (KeelError.is(error)) return error;
    throw new Error(`expected a KeelError, got ${String(error)}`, { cause: error });
  }
  throw new Error('expected the call to fail');
}
