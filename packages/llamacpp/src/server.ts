import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { KeelError } from '@keel/core';
import { createRoutes } from './routes.js';

export interface StartLlamaServerOptions {
  /** Path to the `llama-server` binary. @default findLlamaServer() */
  readonly binary?: string | undefined;
  /** Path to the GGUF model. */
  readonly model: string;
  /** `--parallel`: slots decoding at once. @default 1 */
  readonly parallel?: number | undefined;
  /** `--ctx-size`: the KV cache, shared by the slots (each gets ctxSize / parallel). @default 2048 */
  readonly ctxSize?: number | undefined;
  /** `--n-gpu-layers`: layers offloaded to the GPU (needs a CUDA/Metal build). @default 0 */
  readonly gpuLayers?: number | undefined;
  /** `--threads`. @default the server's own choice */
  readonly threads?: number | undefined;
  /** `--chat-template`, for a model without one (e.g. `chatml`). */
  readonly chatTemplate?: string | undefined;
  /** `--embeddings`: serve `/v1/embeddings`. @default false */
  readonly embeddings?: boolean | undefined;
  /** `--metrics`: serve `/metrics`. @default true */
  readonly metrics?: boolean | undefined;
  /** `--api-key`. */
  readonly apiKey?: string | undefined;
  /** More flags, appended as given. */
  readonly extraArgs?: readonly string[] | undefined;
  /** How long to wait for `/health` to answer 200. @default 60000 */
  readonly readyTimeoutMs?: number | undefined;
  /** Wait for the model to load before resolving. @default true */
  readonly waitForReady?: boolean | undefined;
}

/** A running llama-server on a loopback port; `await using` stops it. */
export interface LlamaServerProcess extends AsyncDisposable {
  /** `http://127.0.0.1:PORT`: the provider's `baseURL`. */
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  /** The last lines the server wrote (stdout and stderr), for a failure message. */
  logTail(): string;
  /** Resolves when `/health` answers 200; rejects if the process exits first or the timeout passes. */
  ready(): Promise<void>;
  /** SIGKILLs the process at once (a crash, for tests); resolves when it has exited. */
  kill(): Promise<void>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when it has exited. */
  stop(graceMs?: number): Promise<void>;
  /** Resolves with the exit code (or signal) once the process has exited. */
  readonly exited: Promise<number | NodeJS.Signals | null>;
}

/** Where scripts/build-llama-server.sh caches the binary: `<cache>/<llama.cpp tag>/llama-server`. */
export const LLAMA_SERVER_CACHE = join(homedir(), '.cache', 'keel-llama-server');

/**
 * The llama-server binary: `KEEL_LLAMA_SERVER` when set (undefined if that file is missing),
 * else the last build (by directory name) in the cache scripts/build-llama-server.sh writes.
 */
export function findLlamaServer(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const fromEnv = env['KEEL_LLAMA_SERVER'];
  if (fromEnv) return existsSync(fromEnv) ? fromEnv : undefined;
  try {
    return readdirSync(LLAMA_SERVER_CACHE, { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && !entry.name.startsWith('src-') && !entry.name.startsWith('node-llama-cpp-'))
      .map((entry) => join(LLAMA_SERVER_CACHE, entry.name, 'llama-server'))
      .filter((path) => existsSync(path))
      .sort()
      .at(-1);
  } catch {
    return undefined;
  }
}

/** A free loopback port: bind port 0, read it, close. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

/** The command line for `options` on `port`. */
export function llamaServerArgs(options: StartLlamaServerOptions, port: number): string[] {
  const args = ['--model', options.model, '--host', '127.0.0.1', '--port', String(port)];
  args.push('--parallel', String(options.parallel ?? 1), '--ctx-size', String(options.ctxSize ?? 2048));
  args.push('--n-gpu-layers', String(options.gpuLayers ?? 0));
  if (options.threads !== undefined) args.push('--threads', String(options.threads));
  if (options.chatTemplate) args.push('--chat-template', options.chatTemplate);
  if (options.embeddings) args.push('--embeddings');
  if (options.metrics ?? true) args.push('--metrics');
  if (options.apiKey) args.push('--api-key', options.apiKey);
  args.push(...(options.extraArgs ?? []));
  return args;
}

const LOG_LINES = 40;

/**
 * Starts llama-server on a free loopback port and (by default) waits until its model is loaded.
 * A server that exits or does not get ready in time is killed and the call rejects with its log
 * tail; the returned handle stops it on `await using` / `stop()`.
 */
export async function startLlamaServer(options: StartLlamaServerOptions): Promise<LlamaServerProcess> {
  const binary = options.binary ?? findLlamaServer();
  if (!binary || !existsSync(binary)) {
    throw new KeelError('not_found', 'llama-server binary not found: set KEEL_LLAMA_SERVER or run scripts/build-llama-server.sh');
  }
  if (!existsSync(options.model)) throw new KeelError('not_found', 'llama-server model file not found');
  const port = await freePort();
  const child: ChildProcess = spawn(binary, llamaServerArgs(options, port), { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const keep = (chunk: Buffer) => {
    lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    if (lines.length > LOG_LINES) lines.splice(0, lines.length - LOG_LINES);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<number | NodeJS.Signals | null>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? signal));
    child.once('error', () => resolve(null));
  });
  let hasExited = false;
  void exited.then(() => {
    hasExited = true;
  });

  const url = `http://127.0.0.1:${port}`;
  const routes = createRoutes({ baseURL: url, apiKey: options.apiKey, provider: 'llama-server' });
  const timeoutMs = options.readyTimeoutMs ?? 60_000;
  let readiness: Promise<void> | undefined;

  async function pollReady(): Promise<void> {
    const giveUp = Date.now() + timeoutMs;
    while (Date.now() < giveUp) {
      if (hasExited) throw new Error(`llama-server exited before it was ready:\n${lines.join('\n')}`);
      // Before the port is bound the fetch is refused: not ready yet either.
      const state = await routes.health().catch(() => 'down' as const);
      if (state === 'ready') return;
      await sleep(50);
    }
    throw new Error(`llama-server was not ready after ${timeoutMs} ms:\n${lines.join('\n')}`);
  }

  async function stop(graceMs = 5_000): Promise<void> {
    if (hasExited) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    timer.unref();
    await exited;
    clearTimeout(timer);
  }

  const handle: LlamaServerProcess = {
    url,
    port,
    pid: child.pid ?? -1,
    exited,
    logTail: () => lines.join('\n'),
    ready: () => (readiness ??= pollReady()),
    async kill() {
      if (!hasExited) child.kill('SIGKILL');
      await exited;
    },
    stop,
    [Symbol.asyncDispose]: () => stop(),
  };
  if (options.waitForReady ?? true) {
    try {
      await handle.ready();
    } catch (error) {
      await handle.kill();
      throw error;
    }
  }
  return handle;
}
