import OpenAI from 'openai';
import type { Provider, ProviderRequest } from '@keel/core';
import { createOpenAIProvider } from '../src/index.js';

/** A recognisable fake key: it must never show up in anything Keel produces. */
export const CANARY_KEY = 'sk-canary-3f9a1c7e5b2d8046aa1b2c3d';

export const REQUEST: ProviderRequest = {
  model: 'gpt-4o-mini',
  messages: [{ role: 'user', content: 'Say something.' }],
};

/**
 * The user's client as they would build it: default maxRetries (2) and timeout. The adapter
 * must switch both off itself.
 */
export function userClient(url: string): OpenAI {
  return new OpenAI({ apiKey: CANARY_KEY, baseURL: `${url}/v1` });
}

export function providerFor(url: string): Provider {
  return createOpenAIProvider({ client: userClient(url) });
}

export { callContext, collectParts as collect, keelFailure as failure, textOfParts as textOf } from '@keel/testkit';
