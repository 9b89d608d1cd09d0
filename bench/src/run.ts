/**
 * Keel's cost per call beside the raw `openai` SDK and its peers: `pnpm bench`.
 *
 * Writes bench/results/ (ignored by git): overhead.json, overhead.svg, ratios.svg, results.md.
 * `pnpm bench -- --update-docs` (or BENCH_UPDATE_DOCS=1) also copies them into docs/bench/ and
 * rewrites the results section of docs/benchmarks.md. `BENCH_QUICK=1` takes a fraction of the
 * samples, to try a change. See docs/benchmarks.md for what each client configures.
 */
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { cpus, loadavg, platform, release } from 'node:os';
import { fileURLToPath } from 'node:url';
import { BASELINE, CLIENT_FACTORIES, type Client, type Transport } from './clients.js';
import { createInstantFetch, PROMPT_SIZES, promptOf, replyText, STREAM_DELTAS, type UserMessage } from './fixtures.js';
import { measure, measureThroughput, type MeasureOptions, type Scenario, type ThroughputOptions } from './harness.js';
import { keelFeatureClients } from './keel-features.js';
import { startLoopbackServer } from './loopback-server.js';
import { summarizeClients, toChart, toJSON, toMarkdown, toRatioChart, updateDocsSection, type Group, type Machine } from './report.js';

const benchDir = new URL('../', import.meta.url);
const resultsDir = fileURLToPath(new URL('results/', benchDir));
const docsDir = fileURLToPath(new URL('../docs/', benchDir));
const quick = process.env['BENCH_QUICK'] === '1';
const updateDocs = process.argv.includes('--update-docs') || process.env['BENCH_UPDATE_DOCS'] === '1';
const CONCURRENCIES = [1, 16, 256] as const;
const MEASURED_PACKAGES = ['openai', 'ai', '@ai-sdk/openai', '@langchain/openai', '@langchain/core', 'cockatiel', 'opossum', 'p-retry', '@keel/core', '@keel/openai'];

const sized = (options: MeasureOptions): MeasureOptions =>
  quick ? { warmupCalls: Math.ceil(options.warmupCalls / 4), rounds: Math.max(4, Math.ceil(options.rounds / 4)), batch: options.batch } : options;
const sizedThroughput = (options: ThroughputOptions): ThroughputOptions =>
  quick ? { ...options, callsPerRound: Math.ceil(options.callsPerRound / 2), rounds: 2 } : options;

async function versions(): Promise<Record<string, string>> {
  const entries = await Promise.all(
    MEASURED_PACKAGES.map(async (name) => {
      const manifest = JSON.parse(await readFile(new URL(`node_modules/${name}/package.json`, benchDir), 'utf8')) as { version: string };
      return [name, manifest.version] as const;
    }),
  );
  return Object.fromEntries(entries);
}

const machine: Machine = {
  node: process.versions.node,
  v8: process.versions.v8,
  platform: `${platform()} ${release()} ${process.arch}`,
  cpu: cpus()[0]?.model.trim() ?? 'unknown',
  cores: cpus().length,
  packages: await versions(),
  // `pnpm bench` builds first and runs without the keel-source condition: the code a service installs.
  keelCode: import.meta.resolve('@keel/core').includes('/dist/') ? 'its built packages (dist/)' : 'its TypeScript source',
  loadAverageAtStart: Number(loadavg()[0]!.toFixed(2)),
};
const log = (line: string) => process.stdout.write(`${line}\n`);
const began = performance.now();
const date = new Date();
log(`keel overhead benchmark · node ${machine.node} · ${machine.cpu} × ${machine.cores}${quick ? ' · QUICK' : ''}`);

/** One scenario per client, all making the same call; every one is checked once to read the whole reply. */
async function scenariosOf(
  clients: readonly Client[],
  call: (client: Client) => Promise<string>,
  expected: string,
): Promise<Scenario[]> {
  for (const client of clients) {
    const text = await call(client);
    if (text !== expected) throw new Error(`${client.id}: read ${JSON.stringify(text.slice(0, 80))}, expected the whole reply`);
  }
  return clients.map((client) => ({ id: client.id, label: client.label, call: () => call(client) }));
}
const chatOf = (messages: readonly UserMessage[]) => (client: Client) => client.chat(messages);
const streamOf = (messages: readonly UserMessage[]) => (client: Client) => client.stream(messages);

const groups: Group[] = [];
const step = (title: string) => log(`[${groups.length + 1}] ${title}`);

// CPU tier: every client over a fetch that answers at once.
const instant = createInstantFetch();
const cpuTransport: Transport = { baseURL: 'http://bench.invalid/v1', fetch: instant.fetch };
const cpuClients = CLIENT_FACTORIES.map((make) => make(cpuTransport));
const clientList = cpuClients.map(({ id, label }) => ({ id, label }));
const CPU_SIZES: Record<string, MeasureOptions> = {
  '40B': { warmupCalls: 500, rounds: 40, batch: 25 },
  '10KB': { warmupCalls: 200, rounds: 30, batch: 15 },
  '100KB': { warmupCalls: 50, rounds: 20, batch: 8 },
};
for (const prompt of PROMPT_SIZES) {
  const title = `CPU tier, chat, ${prompt.label} prompt`;
  step(title);
  const options = sized(CPU_SIZES[prompt.id]!);
  const scenarios = await scenariosOf(cpuClients, chatOf(promptOf(prompt.bytes)), replyText());
  groups.push({ kind: 'latency', id: `cpu-chat-${prompt.id}`, title, tier: 'cpu', prompt: prompt.id, options, measured: await measure(scenarios, options), baseline: BASELINE });
}

{
  const title = 'CPU tier, Keel feature by feature, 40 B prompt';
  step(title);
  const clients = [cpuClients.find((c) => c.id === BASELINE)!, ...keelFeatureClients(cpuTransport)];
  const options = sized({ warmupCalls: 500, rounds: 40, batch: 25 });
  const scenarios = await scenariosOf(clients, chatOf(promptOf(40)), replyText());
  groups.push({ kind: 'latency', id: 'cpu-keel-features', title, tier: 'cpu', prompt: 'keel-features', options, measured: await measure(scenarios, options), baseline: BASELINE });
  for (const client of clients.slice(1)) client.close();
}

const STREAM_SIZES: Record<number, MeasureOptions> = {
  10: { warmupCalls: 200, rounds: 30, batch: 15 },
  100: { warmupCalls: 50, rounds: 25, batch: 8 },
};
for (const deltas of STREAM_DELTAS) {
  const title = `CPU tier, stream of ${deltas} text deltas, read to the end`;
  step(title);
  instant.streamDeltas(deltas);
  const options = sized(STREAM_SIZES[deltas]!);
  const scenarios = await scenariosOf(cpuClients, streamOf(promptOf(40)), replyText(deltas));
  groups.push({ kind: 'latency', id: `cpu-stream-${deltas}`, title, tier: 'cpu', streamDeltas: deltas, options, measured: await measure(scenarios, options), baseline: BASELINE });
}
for (const client of cpuClients) client.close();

// Loopback tier: the testkit server in a child process, the runtime's own fetch.
const server = await startLoopbackServer();
try {
  const loopbackClients = CLIENT_FACTORIES.map((make) => make({ baseURL: `${server.url}/v1` }));
  const LOOPBACK_SIZES: Record<string, MeasureOptions> = {
    '40B': { warmupCalls: 100, rounds: 25, batch: 10 },
    '10KB': { warmupCalls: 50, rounds: 20, batch: 8 },
    '100KB': { warmupCalls: 20, rounds: 15, batch: 6 },
  };
  for (const prompt of PROMPT_SIZES) {
    const title = `Loopback HTTP, chat, ${prompt.label} prompt, one call at a time`;
    step(title);
    const options = sized(LOOPBACK_SIZES[prompt.id]!);
    const scenarios = await scenariosOf(loopbackClients, chatOf(promptOf(prompt.bytes)), replyText());
    groups.push({ kind: 'latency', id: `loopback-chat-${prompt.id}`, title, tier: 'loopback', prompt: prompt.id, options, measured: await measure(scenarios, options), baseline: BASELINE });
  }
  const THROUGHPUT: Record<number, ThroughputOptions> = {
    16: { concurrency: 16, callsPerRound: 320, rounds: 6, warmupRounds: 1 },
    256: { concurrency: 256, callsPerRound: 1_024, rounds: 5, warmupRounds: 1 },
  };
  for (const concurrency of CONCURRENCIES.filter((c) => c > 1)) {
    const title = `Loopback HTTP, chat, 40 B prompt, ${concurrency} calls in flight`;
    step(title);
    const options = sizedThroughput(THROUGHPUT[concurrency]!);
    const scenarios = await scenariosOf(loopbackClients, chatOf(promptOf(40)), replyText());
    groups.push({ kind: 'throughput', id: `loopback-c${concurrency}`, title, concurrency, options, measured: await measureThroughput(scenarios, options), baseline: BASELINE });
  }
  for (const client of loopbackClients) client.close();
} finally {
  await server.close();
}

machine.loadAverageAtEnd = Number(loadavg()[0]!.toFixed(2));
const results = { machine, date, durationS: (performance.now() - began) / 1_000, quick, groups, clients: clientList };
const promptIds = PROMPT_SIZES.map((p) => p.id);
const summary = summarizeClients(results, promptIds, CONCURRENCIES, [STREAM_DELTAS[0], STREAM_DELTAS[1]]);
const markdown = toMarkdown(results, summary, PROMPT_SIZES, CONCURRENCIES);
log(`\n${markdown}`);

const FILES = ['overhead.json', 'overhead.svg', 'ratios.svg', 'results.md'] as const;
await mkdir(resultsDir, { recursive: true });
await writeFile(`${resultsDir}overhead.json`, `${JSON.stringify(toJSON(results, summary), null, 2)}\n`);
await writeFile(`${resultsDir}overhead.svg`, toChart(results));
await writeFile(`${resultsDir}ratios.svg`, toRatioChart(results, summary, PROMPT_SIZES, CONCURRENCIES));
await writeFile(`${resultsDir}results.md`, markdown);
log(`wrote bench/results/{${FILES.join(',')}} in ${results.durationS.toFixed(1)} s`);

if (updateDocs && quick) {
  log('--update-docs ignored: a BENCH_QUICK run has too few samples for the docs');
} else if (updateDocs) {
  await mkdir(`${docsDir}bench`, { recursive: true });
  for (const file of FILES.filter((f) => f !== 'results.md')) await copyFile(`${resultsDir}${file}`, `${docsDir}bench/${file}`);
  const updated = await updateDocsSection(`${docsDir}benchmarks.md`, markdown);
  log(`updated docs/bench/ and ${updated ? 'the results section of docs/benchmarks.md' : 'not docs/benchmarks.md (no results markers found)'}`);
} else {
  log('docs left alone: `pnpm bench -- --update-docs` (or BENCH_UPDATE_DOCS=1) copies these into docs/');
}
