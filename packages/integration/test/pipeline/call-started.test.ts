import { createHash } from 'node:crypto';
import { createScriptedProvider } from '@keel/testkit';
import { describe, expect, it } from 'vitest';
import type { KeelEvent } from '@keel/core';
import { keelWith } from './helpers.js';

const messages = [
  { role: 'system' as const, content: 'Be terse.' },
  { role: 'user' as const, content: 'What is 2 + 2?' },
];
/** The documented hash: SHA-256 over each message's role and content, NUL-separated. */
const expectedHash = createHash('sha256').update('system\0Be terse.\0user\0What is 2 + 2?\0').digest('hex');

async function startedEvent(options: { logPrompts?: boolean } = {}) {
  const provider = createScriptedProvider({ steps: [{ text: 'four', usage: { inputTokens: 9, outputTokens: 1 } }] });
  const { keel, events } = keelWith(provider, {}, options.logPrompts ? { dangerouslyLogPrompts: true } : {});
  await keel.chat({ feature: 'f', messages, user: 'u-1', tenant: 't-1' });
  keel.close();
  const started = events.find((event): event is Extract<KeelEvent, { type: 'call.started' }> => event.type === 'call.started');
  if (!started) throw new Error('no call.started');
  return started;
}

describe('call.started', () => {
  it('carries the prompt hash, the same on every read, and never the prompt', async () => {
    const started = await startedEvent();
    expect(started).toMatchObject({ type: 'call.started', feature: 'f', provider: 'scripted', model: 'm', user: 'u-1', tenant: 't-1', stream: false, prompt: undefined });
    expect(started.promptHash).toBe(expectedHash);
    expect(started.promptHash).toBe(expectedHash);
    // Nothing of the prompt is reachable from the event's own data.
    expect(JSON.stringify({ ...started })).not.toContain('2 + 2');
  });

  it('a JSON log line has every field and the hash; a spread copy has the fields', async () => {
    const started = await startedEvent();
    const logged = JSON.parse(JSON.stringify(started)) as Record<string, unknown>;
    expect(logged).toMatchObject({ type: 'call.started', callId: started.callId, feature: 'f', user: 'u-1', tenant: 't-1', promptHash: expectedHash });
    expect(logged).not.toHaveProperty('prompt');
    expect({ ...started }).toMatchObject({ type: 'call.started', callId: started.callId, at: started.at, provider: 'scripted', model: 'm' });
  });

  it('with dangerouslyLogPrompts, carries the messages as a copy', async () => {
    const started = await startedEvent({ logPrompts: true });
    expect(started.prompt).toEqual(messages);
    expect(JSON.parse(JSON.stringify(started))).toMatchObject({ prompt: messages, promptHash: expectedHash });
  });
});
