import { describe, expect, it } from 'vitest';
import { KeelError } from '@keel/core';

describe('resolution', () => {
  it('imports core from source', () => {
    expect(KeelError.is(new KeelError('auth', 'x'))).toBe(true);
  });
});
