import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { parseFaults, type Fault } from './faults.js';
import { createTestServer } from './server/create-test-server.js';

/** The real-time grace before a `reset-after` cut: the CLI's clients run in another process. */
const CLI_CUT_DELAY_MS = 25;

const USAGE = `Usage: keel-testkit serve [--port 0] [--host 127.0.0.1] [--script faults.json] [--cut-delay-ms ${CLI_CUT_DELAY_MS}]

Serves the OpenAI (POST /v1/chat/completions) and Anthropic (POST /v1/messages) wire formats,
playing the faults in the script file (a JSON array of faults) one per request, then normal
replies. Prints "keel-testkit listening on <url>" and runs until SIGINT or SIGTERM.
--cut-delay-ms: how long a reset-after waits, once its bytes are sent, before it cuts, so a
client in another process reads them first.
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

function parseCutDelay(value: string): number {
  const ms = Number(value);
  if (value.trim() === '' || !Number.isFinite(ms) || ms < 0) throw new Error(`Invalid --cut-delay-ms ${JSON.stringify(value)}.`);
  return ms;
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
      'cut-delay-ms': { type: 'string', default: String(CLI_CUT_DELAY_MS) },
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
    cutDelayMs: parseCutDelay(values['cut-delay-ms']),
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
