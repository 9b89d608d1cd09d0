import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { createTestServer, type Fault } from '@keel/testkit';
import type { KeelError } from '@keel/core';
import { CANARY_KEY, REQUEST, callContext, collect, failure, providerFor } from './support.js';

/** Every rendering of an error a service might log or send on. */
function renderings(error: KeelError): string[] {
  return [
    error.message,
    String(error),
    error.stack ?? '',
    JSON.stringify(error),
    JSON.stringify(error.cause ?? null),
    inspect(error, { depth: 20, showHidden: true }),
  ];
}

type Mode = 'chat' | 'stream';
const BOTH: readonly Mode[] = ['chat', 'stream'];

/** Each fault, and the calls it fails (`no-done` is a normal reply to a JSON request). */
const faults: (readonly [Fault, readonly Mode[]])[] = ([
  { type: 'status', status: 401 },
  { type: 'status', status: 401, error: { type: 'authentication_error', message: `invalid x-api-key: ${CANARY_KEY}` } },
  { type: 'status', status: 400, error: { message: `echo: Authorization: Bearer ${CANARY_KEY}`, code: CANARY_KEY } },
  { type: 'status', status: 502, body: `<html>upstream said x-api-key=${CANARY_KEY}</html>` },
  { type: 'status', status: 529 },
  { type: 'status', status: 429 },
  { type: 'reset' },
  { type: 'malformed-json' },
  { type: 'reset-after', chunks: 1 },
  { type: 'malformed-sse' },
  { type: 'error-event', message: `overloaded while serving ${CANARY_KEY}` },
  { type: 'no-done', finish: false },
] satisfies Fault[]).map((fault) => [fault, fault.type === 'no-done' ? ['stream'] : BOTH] as const);

describe('the API key never leaks', () => {
  it.each(faults)('%o', async (fault, modes) => {
    await using server = await createTestServer({ script: modes.map(() => fault) });
    const provider = providerFor(server.url);
    const errors: KeelError[] = [];
    for (const mode of modes) {
      errors.push(
        await failure(() => (mode === 'chat' ? provider.chat(REQUEST, callContext()) : collect(provider.stream(REQUEST, callContext())))),
      );
    }
    for (const error of errors) {
      for (const text of renderings(error)) {
        expect(text).not.toContain(CANARY_KEY);
        // Not even a masked prefix.
        expect(text).not.toContain('sk-ant-canary');
      }
    }
  });
});
