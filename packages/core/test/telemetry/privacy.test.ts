import { describe, expect, it } from 'vitest';
import { calls } from './events.js';
import { setup, spanText } from './support.js';

const CANARY = 'CANARY-7f3a9c-do-not-log';
const c = calls();
const prompt = [
  { role: 'system', content: `You are terse. ${CANARY}` },
  { role: 'user', content: `Summarise ${CANARY}` },
];

function runCall(t: ReturnType<typeof setup>) {
  t.emit(
    c.started(0, { prompt, user: `user-${CANARY}`, tenant: `tenant-${CANARY}` }),
    c.attemptStarted(0),
    c.attemptFailed(5, 5),
    c.retryScheduled(5, 10),
    c.attemptStarted(15, 2),
    c.attemptSucceeded(20, 5, 2),
    c.finished(20, { attempts: 2 }),
  );
}

async function metricsText(t: ReturnType<typeof setup>): Promise<string> {
  const names = ['gen_ai.client.operation.duration', 'gen_ai.client.token.usage', 'keel.attempts', 'keel.attempt.duration'];
  const all = await Promise.all(names.map((name) => t.metric(name)));
  return JSON.stringify(all);
}

describe('prompts stay out unless both opt-ins are on', () => {
  it('recordPrompts off (the default): the canary is in no span, span event or metric, even when the event carries it', async () => {
    const t = setup();
    runCall(t);
    expect(t.spans()).toHaveLength(3);
    for (const span of t.spans()) expect(spanText(span)).not.toContain(CANARY);
    expect(await metricsText(t)).not.toContain(CANARY);
    expect(t.span('chat gpt-4o-mini').attributes['keel.prompt.sha256']).toBe('ab'.repeat(32));
  });

  it('recordPrompts on: the prompt is on the call span as gen_ai.input.messages, nowhere else; user and tenant never', async () => {
    const t = setup({ recordPrompts: true });
    runCall(t);
    const call = t.span('chat gpt-4o-mini');
    expect(JSON.parse(call.attributes['gen_ai.input.messages'] as string)).toEqual([
      { role: 'system', parts: [{ type: 'text', content: `You are terse. ${CANARY}` }] },
      { role: 'user', parts: [{ type: 'text', content: `Summarise ${CANARY}` }] },
    ]);
    const { ['gen_ai.input.messages']: _messages, ...rest } = call.attributes;
    expect(JSON.stringify([rest, call.events.map((e) => e.attributes)])).not.toContain(CANARY);
    for (const span of t.spans().filter((s) => s !== call)) expect(spanText(span)).not.toContain(CANARY);
    expect(await metricsText(t)).not.toContain(CANARY);
  });

  it('recordPrompts on but the event carries no prompt (no dangerouslyLogPrompts): nothing recorded', () => {
    const t = setup({ recordPrompts: true });
    t.emit(c.started(0), c.finished(1));
    expect(t.span('chat gpt-4o-mini').attributes['gen_ai.input.messages']).toBeUndefined();
  });
});
