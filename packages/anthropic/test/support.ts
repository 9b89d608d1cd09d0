import Anthropic from '@anthropic-ai/sdk';
import type { Provider, ProviderRequest } from '@keel/core';
import { createAnthropicProvider } from '../src/index.js';

/** A recognisable fake key: it must never show up in anything Keel produces. */
export const CANARY_KEY = 'sk-ant-canary-7d41e0b9c2a85f36e1d4';

export const REQUEST: ProviderRequest = {
  model: 'claude-sonnet-4-6',
  messages: [{ role: 'user', content: 'Say something.' }],
};

/**
 * The user's client as they would build it: default maxRetries (2) and timeout (10 minutes).
 * The adapter must switch both off itself.
 */
export function userClient(url: string): Anthropic {
  return new Anthropic({ apiKey: CANARY_KEY, baseURL: url });
}

export function providerFor(url: string): Provider {
  return createAnthropicProvider({ client: userClient(url) });
}

export { callContext, collectParts as collect, keelFailure as failure, textOfParts as textOf } from '@keel/testkit';
