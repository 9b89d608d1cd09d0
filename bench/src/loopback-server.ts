/**
 * The loopback tier's server: the testkit's own CLI (`keel-testkit serve`) in a child process,
 * so its work runs beside the client under test rather than inside the same event loop, as a
 * real provider would.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../node_modules/@keel/testkit/bin/keel-testkit.js', import.meta.url));

export interface LoopbackServer {
  /** `http://127.0.0.1:PORT`; OpenAI's baseURL is `${url}/v1`. */
  readonly url: string;
  close(): Promise<void>;
}

export async function startLoopbackServer(): Promise<LoopbackServer> {
  const child = spawn(process.execPath, [CLI, 'serve', '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    lines.on('line', (line) => {
      const match = /listening on (\S+)/.exec(line);
      if (match) resolve(match[1]!);
    });
    child.once('exit', (code) => reject(new Error(`keel-testkit serve exited (${code}) before listening`)));
  });
  return {
    url,
    async close() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}
