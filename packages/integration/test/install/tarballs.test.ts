import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consumerProgram, typedConsumer } from './consumer.js';

const exec = promisify(execFile);
const REPO_ROOT = fileURLToPath(new URL('../../../..', import.meta.url));
const TSC = join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
const MINUTES = 60_000;

/**
 * The packages as a user outside this repository gets them: `pnpm pack:all` writes the
 * tarballs, and each scratch project (outside the workspace, in the OS temp dir) installs them
 * with pnpm from its store — no registry round trip for what the workspace already installed.
 */
let scratch: string;
let packs: string;

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'keel-install-'));
  packs = join(scratch, 'packs');
  await exec('bash', [join(REPO_ROOT, 'scripts', 'pack-all.sh'), packs], { cwd: REPO_ROOT, timeout: 5 * MINUTES });
}, 5 * MINUTES);

afterAll(async () => {
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

async function consumerProject(system: 'esm' | 'cjs'): Promise<string> {
  const dir = join(scratch, system);
  const tarballs = Object.fromEntries(
    (await readdir(packs)).map((file) => [file.replace(/^keel-(.+)-\d+\.\d+\.\d+\.tgz$/, '@keel/$1'), `file:${join(packs, file)}`]),
  );
  const manifest = {
    name: `keel-consumer-${system}`,
    private: true,
    type: system === 'esm' ? 'module' : 'commonjs',
    dependencies: { ...tarballs, openai: '^7.57.0', '@types/node': '^24.0.0' },
    // The packages' own `@keel/*` dependencies must resolve to the tarballs too, not the registry.
    pnpm: { overrides: tarballs },
  };
  await exec('mkdir', ['-p', dir]);
  await writeFile(join(dir, 'package.json'), JSON.stringify(manifest, null, 2));
  await exec('pnpm', ['install', '--prefer-offline', '--config.confirmModulesPurge=false'], { cwd: dir, timeout: 3 * MINUTES });
  return dir;
}

describe.each(['esm', 'cjs'] as const)('the packed tarballs installed into a scratch %s project', (system) => {
  let dir: string;
  beforeAll(async () => {
    dir = await consumerProject(system);
  }, 4 * MINUTES);

  it('runs a Keel call and a drop-in call against the testkit, with errors classified by kind', async () => {
    const file = join(dir, system === 'esm' ? 'main.mjs' : 'main.cjs');
    await writeFile(file, consumerProgram(system));
    const { stdout } = await exec(process.execPath, [file], { cwd: dir, timeout: MINUTES });
    expect(JSON.parse(stdout)).toEqual({
      // A 401 from a client built by this module system's copy of `openai`: auth, sent once.
      failure: { isKeelError: true, kind: 'auth', requests: 1 },
      chat: 'The quick brown fox jumps over the lazy dog.',
      dropIn: 'The quick brown fox jumps over the lazy dog.',
      object: 'chat.completion',
    });
  }, MINUTES);

  it('type-checks against the published type declarations', async () => {
    const file = join(dir, system === 'esm' ? 'typed.mts' : 'typed.cts');
    await writeFile(file, typedConsumer(system));
    const args = [TSC, '--noEmit', '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--skipLibCheck', '--types', 'node', file];
    await expect(exec(process.execPath, args, { cwd: dir, timeout: 2 * MINUTES })).resolves.toBeDefined();
  }, 2 * MINUTES);
});
