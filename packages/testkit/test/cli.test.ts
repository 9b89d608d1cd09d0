import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import type { Fault } from '../src/index.js';
import { drain, rejectionOf, USER_PROMPT } from './helpers.js';

const CLI = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../../..', import.meta.url));

/** Runs src/cli.ts through tsx, resolving workspace packages to their sources like vitest does. */
function runCli(args: string[]): ChildProcess {
  return spawn(process.execPath, ['--conditions=keel-source', '--import', 'tsx', CLI, ...args], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

async function firstLine(child: ChildProcess): Promise<string> {
  const lines = createInterface({ input: child.stdout! });
  const [line] = (await once(lines, 'line')) as [string];
  lines.close();
  return line;
}

const children: ChildProcess[] = [];
let tempDir: string | undefined;

afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  if (tempDir) await rm(tempDir, { recursive: true, force: true });
  tempDir = undefined;
});

describe('keel-testkit serve', () => {
  it('prints its URL, plays the script file, and exits 0 on SIGTERM', async () => {
    tempDir = await mkdtemp(join(tmpdir(), 'keel-testkit-'));
    const script = join(tempDir, 'faults.json');
    const faults: Fault[] = [{ type: 'status', status: 429, headers: { 'retry-after': '1' } }];
    await writeFile(script, JSON.stringify(faults));

    const child = runCli(['serve', '--port', '0', '--script', script]);
    children.push(child);
    const line = await firstLine(child);
    expect(line).toMatch(/^keel-testkit listening on http:\/\/127\.0\.0\.1:\d+$/);

    const url = line.replace('keel-testkit listening on ', '');
    const client = new OpenAI({ apiKey: 'sk-test', baseURL: `${url}/v1`, maxRetries: 0 });
    const error = await rejectionOf(client.chat.completions.create({ model: 'gpt-4o-mini', messages: USER_PROMPT }));
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    const reply = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: USER_PROMPT });
    expect(reply.choices[0]?.message.content).toBe('The quick brown fox jumps over the lazy dog.');

    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const [code] = (await exited) as [number | null];
    expect(code).toBe(0);
  });

  it('a reset-after reaches a client in another process with its chunks, then the cut', async () => {
    tempDir = await mkdtemp(join(tmpdir(), 'keel-testkit-'));
    const script = join(tempDir, 'faults.json');
    const runs = 20;
    const faults: Fault[] = Array.from({ length: runs }, (_, i) => ({ type: 'reset-after', chunks: 2, how: i % 2 ? 'rst' : 'fin' }));
    await writeFile(script, JSON.stringify(faults));

    const child = runCli(['serve', '--script', script]);
    children.push(child);
    const url = (await firstLine(child)).replace('keel-testkit listening on ', '');
    const client = new OpenAI({ apiKey: 'sk-test', baseURL: `${url}/v1`, maxRetries: 0, logLevel: 'off' });
    const outcomes: string[] = [];
    for (let i = 0; i < runs; i++) {
      const { items, error } = await drain(await client.chat.completions.create({ model: 'gpt-4o-mini', messages: USER_PROMPT, stream: true }));
      outcomes.push(`${items.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('')}|${(error as Error | undefined)?.message}`);
    }
    expect(outcomes).toEqual(Array.from({ length: runs }, () => 'The quick |terminated'));
  });

  it('rejects a bad --cut-delay-ms with exit code 1', async () => {
    const child = runCli(['serve', '--cut-delay-ms=-5']);
    children.push(child);
    let stderr = '';
    child.stderr!.on('data', (part: Buffer) => (stderr += part.toString()));
    const [code] = (await once(child, 'exit')) as [number | null];

    expect(code).toBe(1);
    expect(stderr).toContain('Invalid --cut-delay-ms "-5"');
  });

  it('rejects a bad script file with a readable message and exit code 1', async () => {
    tempDir = await mkdtemp(join(tmpdir(), 'keel-testkit-'));
    const script = join(tempDir, 'faults.json');
    await writeFile(script, JSON.stringify([{ type: 'explode' }]));

    const child = runCli(['serve', '--script', script]);
    children.push(child);
    let stderr = '';
    child.stderr!.on('data', (part: Buffer) => (stderr += part.toString()));
    const [code] = (await once(child, 'exit')) as [number | null];

    expect(code).toBe(1);
    expect(stderr).toContain('unknown type "explode"');
  });
});
