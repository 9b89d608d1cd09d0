import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import Anthropic from '@anthropic-ai/sdk';
import type { KeelError } from '@keel/core';
import { createTestServer, type Fault } from '@keel/testkit';
import { wrapAnthropic } from '../src/index.js';
import { failure } from './support.js';

// Not `sk-` shaped, so no key regex catches it: only the exact value the adapter reads from the client.
const CANARY_KEY = 'R2F0ZXdheS1jYW5hcnktOWU0YjJhN2Mx';
const PROMPT = 'Summarise the Halcyon merger terms for the board, reference 4be1d07a.';

const BODY = { model: 'claude-sonnet-4-6', max_tokens: 256, messages: [{ role: 'user' as const, content: PROMPT }] };

// Servers and proxies do echo keys back; whatever they send, no thrown error may carry it.
const ECHO = `invalid key ${CANARY_KEY} (Bearer ${CANARY_KEY})`;

const FAULTS: [string, Fault][] = [
  ['401', { type: 'status', status: 401 }],
  ['400 echoing the key', { type: 'status', status: 400, error: { message: ECHO } }],
  ['502 page echoing the key', { type: 'status', status: 502, body: `<html>${ECHO}</html>` }],
  ['error event echoing the key', { type: 'error-event', afterChunks: 2, message: ECHO }],
  ['reset after output', { type: 'reset-after', chunks: 2 }],
  ['400 echoing the prompt', { type: 'status', status: 400, echoRequest: true }],
  ['422 echoing the prompt', { type: 'status', status: 422, echoRequest: true }],
];

function expectNoKey(error: KeelError): void {
  for (const text of [error.message, JSON.stringify(error), inspect(error, { depth: 10 }), error.stack ?? '', JSON.stringify(error.cause ?? null)]) {
    expect(text).not.toContain(CANARY_KEY);
    expect(text).not.toContain('Halcyon');
    expect(text).not.toContain('4be1d07a');
  }
}

describe('wrapAnthropic: neither the API key nor the prompt appears in a thrown error', () => {
  it.each(FAULTS)('%s (JSON and stream)', async (_name, fault) => {
    await using server = await createTestServer({ script: [fault, fault] });
    const wrapped = wrapAnthropic(new Anthropic({ apiKey: CANARY_KEY, baseURL: server.url }), {
      feature: 'support',
      defaults: { retry: { maxAttempts: 1 } },
    });
    expectNoKey(await failure(() => wrapped.messages.create(BODY)));
    expectNoKey(
      await failure(async () => {
        for await (const _event of await wrapped.messages.create({ ...BODY, stream: true }));
      }),
    );
  });

  it('a bad request rejected before sending', async () => {
    await using server = await createTestServer();
    const wrapped = wrapAnthropic(new Anthropic({ apiKey: CANARY_KEY, baseURL: server.url }), { feature: 'support' });
    expectNoKey(await failure(() => wrapped.messages.create({ ...BODY, keel: { feature: 'nope' } })));
    expectNoKey(await failure(() => wrapped.messages.create({ ...BODY, max_tokens: -1 })));
    expect(server.hits).toBe(0);
  });
});
