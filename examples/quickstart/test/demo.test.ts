import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = fileURLToPath(new URL('..', import.meta.url));

describe('the quick start demo', () => {
  it('runs end to end with no API key and shows each behaviour', async () => {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', '--conditions=keel-source', 'src/main.ts'], {
      cwd: root,
      timeout: 60_000,
      env: { ...process.env, OPENAI_API_KEY: '' },
    });
    expect(stdout).toContain('attempt 1: rate_limited (429), then waited 300 ms');
    expect(stdout).toMatch(/attempt 1: overloaded \(503\), then waited \d+ ms\n\s+attempt 2: server \(500\), then waited \d+ ms\n\s+attempt 3: ok/);
    expect(stdout).toMatch(/error: auth — OpenAI 401/);
    expect(stdout).not.toContain('sk-demo-not-a-real-key');
    expect(stdout).toContain('• breaker opened');
    expect(stdout).toMatch(/fails fast and sends nothing\n\s+service answered HTTP 503; the model server saw 0 request\(s\)/);
    expect(stdout).toContain('• breaker closed');
    expect(stdout).toContain('[done after 2 attempt(s)]');
    expect(stdout).toContain('The quick brown  [stream failed: connection]');
    expect(stdout).toContain('[stream failed: timeout]');
  });
});
