/**
 * Keel's overhead benchmark: `pnpm bench`. Writes docs/bench/overhead.json, docs/bench/overhead.svg
 * and the results section of docs/benchmarks.md. See docs/benchmarks.md for what each scenario
 * measures and how to read the numbers.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg, platform, release } from 'node:os';
import { fileURLToPath } from 'node:url';
import { VERSION as OPENAI_VERSION } from 'openai/version';
import { createTestServer } from '@keel/testkit';
import { instantFetch, SSE_FRAMES, TEXT_DELTAS } from './fixtures.js';
import { measure, type MeasureOptions } from './harness.js';
import { toChart, toJSON, toMarkdown, updateDocsSection, type Group, type Machine } from './report.js';
import { cpuScenarios, loopbackScenarios } from './scenarios.js';

const docs = fileURLToPath(new URL('../../docs/', import.meta.url));
/** `BENCH_QUICK=1 pnpm bench`: a fraction of the samples, to try the harness; prints, writes nothing. */
const quick = process.env['BENCH_QUICK'] === '1';
const sized = (options: MeasureOptions): MeasureOptions =>
  quick ? { warmupCalls: Math.ceil(options.warmupCalls / 10), rounds: Math.ceil(options.rounds / 10), batch: options.batch } : options;

const machine: Machine & { loadAverageAtEnd?: number } = {
  node: process.versions.node,
  v8: process.versions.v8,
  platform: `${platform()} ${release()} ${process.arch}`,
  cpu: cpus()[0]?.model.trim() ?? 'unknown',
  cores: cpus().length,
  openai: OPENAI_VERSION,
  loadAverageAtStart: Number(loadavg()[0]!.toFixed(2)),
};
const log = (line: string) => process.stdout.write(`${line}\n`);
const began = performance.now();
const date = new Date();
log(`keel overhead benchmark · node ${machine.node} · ${machine.cpu} × ${machine.cores}${quick ? ' · QUICK' : ''}`);

const groups: Group[] = [];

const cpu = cpuScenarios(instantFetch);
await cpu.check();
const chat = cpu.scenarios.filter((s) => !s.id.endsWith('stream'));
const streams = cpu.scenarios.filter((s) => s.id.endsWith('stream'));
const chatOptions = sized({ warmupCalls: 2_000, rounds: 120, batch: 50 });
log(`\n[1/3] CPU only, chat: ${chat.map((s) => s.id).join(', ')}`);
groups.push({
  id: 'cpu-chat',
  title: 'CPU only — chat (fetch answers at once)',
  options: chatOptions,
  measured: await measure(chat, chatOptions),
  baselines: { 'raw-signal': 'raw', adapter: 'raw', keel: 'raw', 'keel-listener': 'raw', 'keel-otel': 'raw', 'keel-budgets': 'raw', wrap: 'raw' },
});
const streamOptions = sized({ warmupCalls: 1_000, rounds: 100, batch: 40 });
log(`[2/3] CPU only, stream: ${streams.map((s) => s.id).join(', ')}`);
groups.push({
  id: 'cpu-stream',
  title: `CPU only — stream of ${SSE_FRAMES.length} SSE frames (${TEXT_DELTAS} text deltas), read to the end`,
  options: streamOptions,
  measured: await measure(streams, streamOptions),
  baselines: { 'keel-stream': 'raw-stream' },
});
cpu.close();

const server = await createTestServer();
try {
  const loopback = loopbackScenarios(`${server.url}/v1`);
  await loopback.check();
  const loopbackOptions = sized({ warmupCalls: 300, rounds: 75, batch: 20 });
  log(`[3/3] loopback HTTP: ${loopback.scenarios.map((s) => s.id).join(', ')}`);
  groups.push({
    id: 'loopback',
    title: 'Loopback HTTP — the testkit server on 127.0.0.1, sequential calls',
    options: loopbackOptions,
    measured: await measure(loopback.scenarios, loopbackOptions),
    baselines: { 'loopback-raw-signal': 'loopback-raw', 'loopback-adapter': 'loopback-raw', 'loopback-keel': 'loopback-raw', 'loopback-keel-stream': 'loopback-raw-stream' },
  });
  loopback.close();
} finally {
  await server.close();
}

const durationS = (performance.now() - began) / 1_000;
machine.loadAverageAtEnd = Number(loadavg()[0]!.toFixed(2));
const markdown = toMarkdown(machine, date, groups);
log(`\n${markdown}`);
if (quick) {
  log(`quick run in ${durationS.toFixed(1)} s: nothing written`);
} else {
  await mkdir(`${docs}bench`, { recursive: true });
  await writeFile(`${docs}bench/overhead.json`, `${JSON.stringify(toJSON(machine, date, durationS, groups), null, 2)}\n`);
  await writeFile(`${docs}bench/overhead.svg`, toChart(machine, date, groups));
  const updated = await updateDocsSection(`${docs}benchmarks.md`, markdown);
  log(`wrote docs/bench/overhead.json, docs/bench/overhead.svg${updated ? ', docs/benchmarks.md' : ' (docs/benchmarks.md has no results markers: left alone)'} in ${durationS.toFixed(1)} s`);
}
