import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { cp, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { USER_PROMPT } from './helpers.js';

const PACKAGE = fileURLToPath(new URL('..', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../../..', import.meta.url));

let scratch: string | undefined;
afterEach(async () => {
  if (scratch) await rm(scratch, { recursive: true, force: true });
  scratch = undefined;
});

describe('the keel-testkit bin shim', () => {
  it('runs from a fresh clone with no dist/ (no build step): serves and exits 0 on SIGTERM', async () => {
    // A copy of the package without dist/, inside the repository so tsx and @keel/core resolve
    // the way they do in a fresh clone.
    scratch = await mkdtemp(join(REPO_ROOT, 'packages', '.shim-test-'));
    await cp(join(PACKAGE, 'bin'), join(scratch, 'bin'), { recursive: true });
    await cp(join(PACKAGE, 'src'), join(scratch, 'src'), { recursive: true });
    await cp(join(PACKAGE, 'package.json'), join(scratch, 'package.json'));
    await symlink(join(PACKAGE, 'node_modules'), join(scratch, 'node_modules'));

    const child = spawn(process.execPath, [join(scratch, 'bin', 'keel-testkit.js'), 'serve', '--port', '0'], {
      cwd: tmpdir(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const lines = createInterface({ input: child.stdout });
      const [line] = (await once(lines, 'line')) as [string];
      lines.close();
      expect(line).toMatch(/^keel-testkit listening on http:\/\/127\.0\.0\.1:\d+$/);

      const client = new OpenAI({ apiKey: 'test', baseURL: `${line.replace('keel-testkit listening on ', '')}/v1`, maxRetries: 0 });
      const reply = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: USER_PROMPT });
      expect(reply.choices[0]?.message.content).toBe('The quick brown fox jumps over the lazy dog.');

      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const [code] = (await exited) as [number | null];
      expect(code).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
