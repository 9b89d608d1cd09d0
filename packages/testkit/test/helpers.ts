import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import type { TestServer } from '../src/index.js';

/** A recognisable fake key: tests assert it never shows up in an error. */
export const CANARY_KEY = 'sk-canary-0123456789abcdefSECRET';

export function openaiFor(server: TestServer, options: { maxRetries?: number; apiKey?: string } = {}): OpenAI {
  return new OpenAI({
    apiKey: options.apiKey ?? 'sk-test',
    baseURL: `${server.url}/v1`,
    maxRetries: options.maxRetries ?? 0,
    logLevel: 'off',
  });
}

export function anthropicFor(server: TestServer, options: { maxRetries?: number; apiKey?: string } = {}): Anthropic {
  return new Anthropic({
    apiKey: options.apiKey ?? 'sk-ant-test',
    baseURL: server.url,
    maxRetries: options.maxRetries ?? 0,
    logLevel: 'off',
  });
}

/** The value a promise rejects with; fails the test if it resolves. */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('Expected the promise to reject, but it resolved.');
}

/** Collects an async iterable; returns what arrived and the error that ended it, if any. */
export async function drain<T>(iterable: AsyncIterable<T>, onItem?: (item: T, index: number) => void): Promise<{ items: T[]; error: unknown }> {
  const items: T[] = [];
  try {
    for await (const item of iterable) {
      items.push(item);
      onItem?.(item, items.length - 1);
    }
  } catch (error) {
    return { items, error };
  }
  return { items, error: undefined };
}

export const USER_PROMPT = [{ role: 'user' as const, content: 'Tell me about foxes.' }];
