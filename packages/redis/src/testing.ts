import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RedisServerOptions {
  /** Append-only file with `appendfsync always`: survives SIGKILL losing nothing acknowledged. @default false */
  readonly appendonly?: boolean | undefined;
  /** The binary. @default `redis-server` on PATH */
  readonly bin?: string | undefined;
}

export interface RedisServerHandle {
  readonly port: number;
  readonly url: string;
  /**
   * Stops the server abruptly (SIGKILL, no save): what a crash looks like. The signal is sent
   * before this returns; the promise resolves once the process is gone.
   */
  kill(): Promise<void>;
  /** Starts it again on the same port and data directory (after `kill` or `stop`). */
  restart(): Promise<void>;
  /** Stops it (SIGTERM) and removes its data directory. */
  stop(): Promise<void>;
}

/** Whether a redis-server binary can be run here. */
export function hasRedisServer(bin = 'redis-server'): boolean {
  return spawnSync(bin, ['--version'], { stdio: 'ignore' }).status === 0;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((resolve) => child.once('exit', () => resolve()));
}

/**
 * Starts a real `redis-server` on a free loopback port, with its own data directory, for tests
 * and examples. No persistence unless `appendonly` (then `appendfsync always`).
 */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServerHandle> {
  const bin = options.bin ?? 'redis-server';
  if (!hasRedisServer(bin)) throw new Error(`redis-server not found (looked for "${bin}"); install it (Debian: apt-get install redis-server)`);
  const dir = mkdtempSync(join(tmpdir(), 'keel-redis-'));
  let port = 0;
  let child: ChildProcess | undefined;
  let lastExit: Promise<void> = Promise.resolve();

  async function launch(): Promise<void> {
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--daemonize', 'no', '--protected-mode', 'yes'];
    args.push(...(options.appendonly ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no']));
    const proc = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    await new Promise<void>((resolve, reject) => {
      let log = '';
      const onData = (chunk: Buffer) => {
        log += chunk.toString();
        if (log.includes('Ready to accept connections')) {
          proc.stdout.off('data', onData);
          proc.stdout.resume();
          resolve();
        }
      };
      proc.stdout.on('data', onData);
      proc.stderr.resume();
      proc.once('exit', (code) => reject(new Error(`redis-server exited (${code}) before it was ready: ${log.slice(-500)}`)));
    });
  }

  for (let attempt = 0; ; attempt++) {
    port = await freePort();
    try {
      await launch();
      break;
    } catch (error) {
      // Another process took the port between the probe and the start: pick another.
      if (attempt >= 4) throw error;
    }
  }

  /** Sends the signal at once (synchronously), then waits for the process to be gone. */
  function killWith(signal: NodeJS.Signals): Promise<void> {
    const proc = child;
    if (!proc) return lastExit;
    child = undefined;
    proc.removeAllListeners('exit');
    lastExit = exited(proc);
    proc.kill(signal);
    return lastExit;
  }

  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    kill: () => killWith('SIGKILL'),
    restart: async () => {
      await killWith('SIGKILL');
      // The port was ours a moment ago; a restart may briefly race its release.
      for (let attempt = 0; ; attempt++) {
        try {
          return await launch();
        } catch (error) {
          if (attempt >= 20) throw error;
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      }
    },
    stop: async () => {
      await killWith('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
