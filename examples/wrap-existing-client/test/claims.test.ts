import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = fileURLToPath(new URL('..', import.meta.url));

describe('the wrap-existing-client example checks its own claims', () => {
  it('exits non-zero, naming the claim, when a step\'s fault is broken on purpose', async () => {
    const failure = await run(process.execPath, ['--import', 'tsx', '--conditions=keel-source', 'src/main.ts'], {
      cwd: root,
      timeout: 60_000,
      env: { ...process.env, OPENAI_API_KEY: '', OPENAI_BASE_URL: '', KEEL_DEMO_BREAK: 'auth' },
    }).then(
      () => undefined,
      (error: unknown) => error as { code?: number; stderr?: string },
    );
    expect(failure?.code).toBe(1);
    expect(failure?.stderr).toContain('✗ claim broken: auth: expected auth after 1 request(s), got answered after 1');
    expect(failure?.stderr).toMatch(/1 claim\(s\) did not hold:\n\s+- auth: /);
  });
});
