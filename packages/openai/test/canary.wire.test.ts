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

interface Case {
  readonly name: string;
  readonly fault: Fault;
  /** Faults that fail only a stream (a JSON request gets a normal reply). */
  readonly streamOnly?: boolean;
}

const cases: Case[] = [
  // The testkit's default 401 quotes a masked copy of the key, as OpenAI does.
  { name: '401 with the masked key', fault: { type: 'status', status: 401 } },
  {
    name: '401 echoing the whole key',
    fault: { type: 'status', status: 401, error: { code: 'invalid_api_key', message: `Incorrect API key provided: ${CANARY_KEY}.` } },
  },
  {
    name: '400 echoing a bearer header and param',
    fault: { type: 'status', status: 400, error: { message: `echo: Authorization: Bearer ${CANARY_KEY}`, param: CANARY_KEY } },
  },
  { name: '502 HTML page with the key', fault: { type: 'status', status: 502, body: `<html>upstream said api_key=${CANARY_KEY}</html>` } },
  { name: '429', fault: { type: 'status', status: 429 } },
  { name: 'reset', fault: { type: 'reset' } },
  { name: 'malformed JSON', fault: { type: 'malformed-json' } },
  { name: 'reset mid-body', fault: { type: 'reset-after', chunks: 1 } },
  { name: 'malformed SSE', fault: { type: 'malformed-sse' } },
  { name: 'error event echoing the key', fault: { type: 'error-event', message: `stream failed for ${CANARY_KEY}` } },
  { name: 'stream without a finish', fault: { type: 'no-done', finish: false }, streamOnly: true },
];

describe('the API key never leaks', () => {
  it.each(cases)('$name', async ({ fault, streamOnly }) => {
    await using server = await createTestServer({ script: streamOnly ? [fault] : [fault, fault] });
    const provider = providerFor(server.url);
    const errors = [await failure(() => collect(provider.stream(REQUEST, callContext())))];
    if (!streamOnly) errors.push(await failure(() => provider.chat(REQUEST, callContext())));
    for (const error of errors) {
      for (const text of renderings(error)) {
        expect(text).not.toContain(CANARY_KEY);
        // Not even the masked prefix OpenAI echoes (sk-canar****…).
        expect(text).not.toContain('sk-canar');
      }
    }
  });
});
