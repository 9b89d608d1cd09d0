import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { findLlamaServer } from '@keel/llamacpp';

const run = promisify(execFile);
const root = fileURLToPath(new URL('..', import.meta.url));
// Like @keel/llamacpp's real-server tests: a missing binary fails in CI, and is skipped (loudly) elsewhere.
const available = findLlamaServer() !== undefined;
if (!available && !process.env['CI']) console.warn('local-llamacpp example test skipped: no llama-server (scripts/build-llama-server.sh)');

describe.runIf(available || Boolean(process.env['CI']))('the local-llamacpp example', () => {
  it('runs with no key, escalates only what fails the gate, and its claims hold', async () => {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', '--conditions=keel-source', 'src/main.ts'], {
      cwd: root,
      timeout: 120_000,
      env: { ...process.env, OPENAI_API_KEY: '' },
    });
    expect(stdout).toContain('all claims hold');
    expect(stdout).toMatch(/✓ the hosted model saw exactly the escalated tasks/);
    expect(stdout).not.toContain('✗');
  }, 150_000);
});
