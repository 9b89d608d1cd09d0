/**
 * Finds the real llama-server binary and the tiny test model. Tests that need them call
 * `realServerSuite()`: in CI a missing binary or model FAILS the suite with a message saying how
 * to get it; elsewhere the suite is skipped with that message printed.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findLlamaServer, startLlamaServer, type LlamaServerProcess, type StartLlamaServerOptions } from '../src/index.js';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const MODEL_PATH = join('shared', 'models', 'stories260K.gguf');

/** `KEEL_TEST_MODEL`, else `shared/models/stories260K.gguf` next to the repo (or next to a folder above it, for worktrees). */
export function findTestModel(): string | undefined {
  const fromEnv = process.env['KEEL_TEST_MODEL'];
  if (fromEnv) return existsSync(fromEnv) ? fromEnv : undefined;
  for (let dir = dirname(REPO_ROOT); ; dir = dirname(dir)) {
    const candidate = join(dir, MODEL_PATH);
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}

export interface RealServerSetup {
  readonly binary: string | undefined;
  readonly model: string | undefined;
  /** Why the real server cannot run here; undefined when it can. */
  readonly missing: string | undefined;
  /** Run (true), or skip outside CI when something is missing. */
  readonly run: boolean;
}

export function realServerSetup(): RealServerSetup {
  const binary = findLlamaServer();
  const model = findTestModel();
  const missing = [
    binary ? undefined : 'llama-server binary (set KEEL_LLAMA_SERVER or run `bash scripts/build-llama-server.sh`)',
    model ? undefined : `test model (set KEEL_TEST_MODEL or provide ../${MODEL_PATH})`,
  ]
    .filter(Boolean)
    .join(' and ');
  const run = missing === '' || Boolean(process.env['CI']);
  if (missing !== '' && !run) console.warn(`@keel/llamacpp real-server tests skipped: missing ${missing}`);
  return { binary, model, missing: missing === '' ? undefined : missing, run };
}

/** Starts the real server for a suite; throws the clear "missing" message in CI. */
export async function startRealServer(setup: RealServerSetup, options: Omit<StartLlamaServerOptions, 'model' | 'binary'> = {}): Promise<LlamaServerProcess> {
  if (setup.missing) throw new Error(`@keel/llamacpp real-server tests need the ${setup.missing}`);
  return startLlamaServer({ binary: setup.binary, model: setup.model!, chatTemplate: 'chatml', ctxSize: 1024, threads: 1, ...options });
}
