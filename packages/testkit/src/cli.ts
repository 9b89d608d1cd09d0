import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { parseFaults, type Fault } from './faults.js';
import { createTestServer } from './server/create-test-server.js';

const USAGE = `Usage: keel-testkit serve [--port 0] [--host 127.0.0.1] [--script faults.json]

Serves the OpenAI (POST /v1/chat/completions) and Anthropic (POST /v1/messages) wire formats,
playing the faults in the script file (a JSON array of faults) one per request, then normal
replies. Prints "keel-testkit listening on <url>" and runs until SIGINT or SIGTERM.
`;

async function loadScript(path: string | undefined): Promise<Fault[]> {
  if (path === undefined) return [];
  return parseFaults(JSON.parse(await readFile(path, 'utf8')) as unknown);
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`Invalid --port ${JSON.stringify(value)}.`);
  return port;
}

function untilSignal(): Promise<void> {
  return new Promise((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
}

/** Runs the CLI; resolves with the exit code once the server has closed. */
export async function runCli(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      port: { type: 'string', short: 'p', default: '0' },
      host: { type: 'string', default: '127.0.0.1' },
      script: { type: 'string', short: 's' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (positionals[0] !== 'serve') {
    process.stderr.write(USAGE);
    return 2;
  }
  const server = await createTestServer({
    script: await loadScript(values.script),
    port: parsePort(values.port),
    host: values.host,
  });
  process.stdout.write(`keel-testkit listening on ${server.url}\n`);
  await untilSignal();
  await server.close();
  return 0;
}

runCli(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`keel-testkit: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
