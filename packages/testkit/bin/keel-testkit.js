#!/usr/bin/env node
// Checked-in shim. An installed package runs the built CLI (dist/cli.js). A fresh clone of the
// repository has no dist/ until `pnpm build`, so there the shim runs src/cli.ts through tsx
// (the workspace's devDependency), resolving workspace packages to their sources the way the
// tests do: `pnpm keel-testkit serve` works right after `pnpm install`.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const built = new URL('../dist/cli.js', import.meta.url);
const source = new URL('../src/cli.ts', import.meta.url);

if (existsSync(built)) {
  await import(built.href);
} else if (existsSync(source)) {
  const tsx = import.meta.resolve('tsx');
  const child = spawn(process.execPath, ['--conditions=keel-source', '--import', tsx, fileURLToPath(source), ...process.argv.slice(2)], {
    stdio: 'inherit',
  });
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => (signal ? process.kill(process.pid, signal) : process.exit(code ?? 1)));
} else {
  console.error('keel-testkit: neither dist/cli.js nor src/cli.ts found; reinstall @keel/testkit');
  process.exit(1);
}
