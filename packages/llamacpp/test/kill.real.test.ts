/**
 * A REAL llama-server that dies mid-stream (SIGKILL after the first token) and one that is still
 * loading its model when the first call arrives.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createKeel, KeelError } from '@keel/core';
import { createLlamaCppProvider, isLoadingBody, type LlamaServerProcess } from '../src/index.js';
import { realServerSetup, startRealServer } from './real-server.js';

const setup = realServerSetup();
const MODEL = 'stories260K';
const messages = [{ role: 'user' as const, content: 'Tell me a long story.' }];
let server: LlamaServerProcess | undefined;
afterEach(async () => server?.kill());

describe.runIf(setup.run)('llama-server (real): a killed server, a loading server', () => {
  it('killed mid-stream: the stream ends with a typed error carrying exactly the text received', async () => {
    server = await startRealServer(setup, { parallel: 1 });
    const keel = createKeel({
      providers: [createLlamaCppProvider({ baseURL: server.url })],
      features: { f: { models: [{ provider: 'llamacpp', model: MODEL }], maxTokens: 900, temperature: 0 } },
    });
    // ignore_eos: 900 tokens to decode, so the kill lands while the server is still producing.
    const stream = keel.stream({ feature: 'f', messages, extra: { ignore_eos: true } });
    let received = '';
    let error: unknown;
    try {
      for await (const event of stream) {
        if (event.type !== 'text') continue;
        if (received === '') {
          // Freeze it first so that it cannot finish between our decision and the kill.
          process.kill(server.pid, 'SIGSTOP');
          await server.kill();
        }
        received += event.text;
      }
    } catch (caught) {
      error = caught;
    }
    keel.close();
    expect(KeelError.is(error)).toBe(true);
    expect(['connection', 'truncated']).toContain((error as KeelError).kind);
    expect(received.length).toBeGreaterThan(0);
    expect((error as KeelError).partialText).toBe(received);
  });

  it('loading: /health is 503 "Loading model" until ready, and a call sent at start-up waits instead of failing', async () => {
    server = await startRealServer(setup, { parallel: 1, waitForReady: false });
    const provider = createLlamaCppProvider({ baseURL: server.url, healthPollMs: 10 });
    const keel = createKeel({
      providers: [provider],
      features: { f: { models: [{ provider: 'llamacpp', model: MODEL }], maxTokens: 8, retry: { maxAttempts: 1 } } },
    });
    const answers: { status: number; body: string }[] = [];
    let call: ReturnType<typeof keel.chat> | undefined;
    for (let i = 0; i < 10_000 && answers.at(-1)?.status !== 200; i++) {
      if (i > 0 && answers.length === 0) await new Promise((r) => setTimeout(r, 5));
      const answer = await fetch(`${server.url}/health`).then(
        async (r) => ({ status: r.status, body: await r.text() }),
        () => undefined, // not listening yet
      );
      if (!answer) continue;
      answers.push(answer);
      // The first call goes out the moment the port answers, loading or not.
      call ??= keel.chat({ feature: 'f', messages });
    }
    const result = await call!;
    keel.close();

    expect(answers.at(-1)).toEqual({ status: 200, body: JSON.stringify({ status: 'ok' }) });
    for (const answer of answers.slice(0, -1)) {
      expect(answer.status).toBe(503);
      expect(isLoadingBody(answer.body)).toBe(true);
    }
    expect(result.text.length).toBeGreaterThan(0);
    expect(result.attempts).toHaveLength(1);
    expect(keel.breaker('llamacpp', MODEL)?.state ?? 'closed').toBe('closed');
  });
});
