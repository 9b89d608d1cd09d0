import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = fileURLToPath(new URL('..', import.meta.url));

describe('the two-replicas example', () => {
  it('runs with no API key and its claims hold (it exits 1 when one does not)', async () => {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', '--conditions=keel-source', 'src/main.ts'], {
      cwd: root,
      timeout: 120_000,
      env: { ...process.env, OPENAI_API_KEY: '', REDIS_URL: '' },
    }).catch((error: unknown) => {
      // A failed claim exits 1: show the demo's own report, which says which claim and why.
      const { stdout: report = '', stderr = '' } = error as { stdout?: string; stderr?: string };
      throw new Error(`two-replicas failed:\n${report}\n${stderr}`);
    });
    expect(stdout).toContain('✓ the two replicas together never spent more than the one budget');
    expect(stdout).toContain('✓ both replicas answered calls from the shared budget');
    expect(stdout).toContain('✓ every answered call is one request the model server saw');
    expect(stdout).not.toContain('✗');
  }, 120_000);

  it('says clearly when redis-server is missing', async () => {
    const error = await run(process.execPath, ['--import', 'tsx', '--conditions=keel-source', 'src/main.ts'], {
      cwd: root,
      timeout: 60_000,
      env: { ...process.env, OPENAI_API_KEY: '', REDIS_URL: '', PATH: '/nonexistent' },
    }).catch((e: unknown) => e as { code: number; stderr: string });
    expect(error).toMatchObject({ code: 2 });
    expect((error as { stderr: string }).stderr).toContain('redis-server was not found on PATH');
  }, 60_000);
});
