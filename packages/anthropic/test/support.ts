import { expect } from 'vitest';
import Anthropic from '@anthropic-ai/sdk';
import { KeelError, type CallContext, type Provider, type ProviderRequest, type ProviderStreamPart } from '@keel/core';
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

export function callContext(signal: AbortSignal = new AbortController().signal): CallContext {
  return { signal, deadline: Date.now() + 60_000, attempt: 1 };
}

export async function collect(parts: AsyncIterable<ProviderStreamPart>): Promise<ProviderStreamPart[]> {
  const out: ProviderStreamPart[] = [];
  for await (const part of parts) out.push(part);
  return out;
}

/** Runs `work`, asserts it threw a KeelError, and returns it. */
export async function failure(work: () => Promise<unknown>): Promise<KeelError> {
  try {
    await work();
  } catch (error) {
    expect(KeelError.is(error), `expected a KeelError, got ${String(error)}`).toBe(true);
    return error as KeelError;
  }
  throw new Error('expected the call to fail');
}

export function textOf(parts: readonly ProviderStreamPart[]): string {
  return parts.map((part) => (part.type === 'text' ? part.text : '')).join('');
}
