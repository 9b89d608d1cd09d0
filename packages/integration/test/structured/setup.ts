/** Shared set-up for the structured-output and cascade wire tests: real SDK clients, testkit server. */
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { createAnthropicProvider } from '@keel/anthropic';
import { createOpenAIProvider } from '@keel/openai';
import { createFakeClock, createTestServer, type FaultScript, type RecordedRequest, type TestServer } from '@keel/testkit';
import { createKeel, type FeatureConfig, type Keel, type Provider } from '@keel/core';

export type Wire = 'openai' | 'anthropic';
export const CHEAP: Record<Wire, string> = { openai: 'gpt-4o-mini', anthropic: 'claude-haiku-4-5' };
export const STRONG: Record<Wire, string> = { openai: 'gpt-4o', anthropic: 'claude-sonnet-4-5' };
export const messages = [{ role: 'user' as const, content: 'Extract the person: Ada Lovelace, 36.' }];

export function providerFor(wire: Wire, url: string): Provider {
  return wire === 'openai'
    ? createOpenAIProvider({ client: new OpenAI({ apiKey: 'sk-test-structured', baseURL: `${url}/v1` }) })
    : createAnthropicProvider({ client: new Anthropic({ apiKey: 'sk-ant-test-structured', baseURL: url }) });
}

export interface Setup {
  readonly server: TestServer;
  readonly keel: Keel;
  [Symbol.asyncDispose](): Promise<void>;
}

export async function setup(wire: Wire, script: FaultScript, feature: Partial<FeatureConfig> = {}, options: { logPrompts?: boolean } = {}): Promise<Setup> {
  const server = await createTestServer({ script });
  const keel = createKeel({
    providers: [providerFor(wire, server.url)],
    features: { f: { models: [{ provider: wire, model: CHEAP[wire] }], retry: { maxAttempts: 1 }, ...feature } },
    defaults: { breaker: { minimumAttempts: 1_000, consecutiveFailures: 1_000 } },
    clock: createFakeClock(),
    dangerouslyLogPrompts: options.logPrompts ?? false,
  });
  return {
    server,
    keel,
    async [Symbol.asyncDispose]() {
      keel.close();
      await server.close();
    },
  };
}

/** The body the server received, as an object. */
export function bodyOf(request: RecordedRequest | undefined): Record<string, unknown> {
  return (request?.body ?? {}) as Record<string, unknown>;
}

/** The model a request asked for. */
export const modelOf = (request: RecordedRequest) => bodyOf(request)['model'];

/** Every message text the request sent (system included), joined. */
export function sentText(request: RecordedRequest | undefined): string {
  const body = bodyOf(request);
  const texts = ((body['messages'] ?? []) as { content: unknown }[]).map((m) => (typeof m.content === 'string' ? m.content : JSON.stringify(m.content)));
  if (typeof body['system'] === 'string') texts.unshift(body['system']);
  return texts.join('\n');
}
