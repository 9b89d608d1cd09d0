import { expect } from 'vitest';
import OpenAI from 'openai';
import { KeelError, type CallContext, type Provider, type ProviderRequest, type ProviderStreamPart } from '@keel/core';
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
