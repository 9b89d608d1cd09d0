import { describe, expect, it } from 'vitest';
import Anthropic from '@anthropic-ai/sdk';
import { deriveClient, secretsOf } from '../src/client.js';

describe('deriveClient', () => {
  it('turns the SDK retries off and its timeout up, on a copy', () => {
    const user = new Anthropic({ apiKey: 'sk-ant-test-00000000', baseURL: 'http://127.0.0.1:9', defaultHeaders: { 'x-team': 'a' } });
    const derived = deriveClient(user);
    expect(derived).not.toBe(user);
    expect(derived.maxRetries).toBe(0);
    expect(derived.timeout).toBe(2_147_483_647);
    expect(derived.baseURL).toBe('http://127.0.0.1:9');
    expect(derived.apiKey).toBe('sk-ant-test-00000000');
    // The user's own client is left as it was.
    expect(user.maxRetries).toBe(2);
    expect(user.timeout).toBe(600_000);
  });
});

describe('secretsOf', () => {
  it('lists the API key and the auth token, whichever are set', () => {
    expect(secretsOf(new Anthropic({ apiKey: 'sk-ant-key-00000000', baseURL: 'http://x' }))).toEqual(['sk-ant-key-00000000']);
    expect(secretsOf(new Anthropic({ authToken: 'oauth-token-00000000', baseURL: 'http://x' }))).toEqual(['oauth-token-00000000']);
  });
});
