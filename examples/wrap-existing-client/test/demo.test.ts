import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = fileURLToPath(new URL('..', import.meta.url));

describe('the wrap-existing-client example', () => {
  it('changes one line of the service (plus its import)', async () => {
    const before = (await readFile(`${root}src/before.ts`, 'utf8')).split('\n');
    const after = (await readFile(`${root}src/after.ts`, 'utf8')).split('\n');
    const added = after.filter((line) => !before.includes(line));
    const removed = before.filter((line) => !after.includes(line));
    expect(removed).toEqual(['export const openai = new OpenAI();']);
    expect(added).toEqual([
      "import { wrapOpenAI } from '@keel/openai';",
      "export const openai = wrapOpenAI(new OpenAI(), { feature: 'support' });",
    ]);
  });

  it('runs end to end with no API key and absorbs the scripted faults', async () => {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', '--conditions=keel-source', 'src/main.ts'], {
      cwd: root,
      timeout: 60_000,
      env: { ...process.env, OPENAI_API_KEY: '', OPENAI_BASE_URL: '' },
    });
    expect(stdout).toMatch(/before: (.+)\n\s+after: {2}\1\n/);
    expect(stdout).toMatch(/attempt 1: rate_limited \(429\)\n.*retry in 200 ms \(as the server asked\)\n.*attempt 2: server \(500\)\n.*\n.*attempt 3: ok/);
    expect(stdout).toContain('absorbed: the 429 and the 500 never reached the service');
    expect(stdout).toMatch(/absorbed: retried invisibly; streamed: The quick brown fox jumps over the lazy dog\.\n\s+the model server saw 2 request\(s\)/);
    expect(stdout).toContain('threw KeelError connection after "The quick brown " (retryable: false)');
    expect(stdout).toMatch(/attempt 1: auth \(401\)\n\s+threw KeelError auth/);
    expect(stdout).not.toContain('sk-demo-not-a-real-key');
  });
});
