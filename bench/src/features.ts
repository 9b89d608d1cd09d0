/**
 * `pnpm bench:features`: only the CPU tier's "Keel feature by feature" group (40 B), beside the
 * raw SDK with and without an AbortSignal, with more rounds than `pnpm bench` gives it. The quick
 * way to see one change's effect on Keel's own cost per call; `pnpm bench` is the record.
 * BENCH_ROUNDS sets the rounds (default 60).
 */
import { measure, type Scenario } from './harness.js';
import { createInstantFetch, promptOf, replyText } from './fixtures.js';
import { rawSdkClient, type Transport } from './keel-clients.js';
import { keelFeatureClients } from './keel-features.js';

const transport: Transport = { baseURL: 'http://bench.invalid/v1', fetch: createInstantFetch().fetch };
const clients = [rawSdkClient(transport, false), rawSdkClient(transport, true), ...keelFeatureClients(transport)];
const messages = promptOf(40);
const scenarios: Scenario[] = [];
for (const client of clients) {
  const text = await client.chat(messages);
  if (text !== replyText()) throw new Error(`${client.id}: did not read the whole reply`);
  scenarios.push({ id: client.id, label: client.label, call: () => client.chat(messages) });
}
const rounds = Number(process.env['BENCH_ROUNDS'] ?? 60);
const measured = await measure(scenarios, { warmupCalls: 500, rounds, batch: 25 });
const base = measured.get('raw')!.stats;
const fmt = (n: number) => (n >= 0 ? '+' : '−') + Math.abs(n).toFixed(1);
process.stdout.write(`| client | median µs | added µs (median) | CPU µs/call | added µs (CPU) |\n|---|--:|--:|--:|--:|\n`);
for (const { scenario, stats } of measured.values()) {
  process.stdout.write(
    `| ${scenario.label} | ${stats.medianUs.toFixed(1)} | ${fmt(stats.medianUs - base.medianUs)} | ${stats.cpuUsPerCall.toFixed(1)} | ${fmt(stats.cpuUsPerCall - base.cpuUsPerCall)} |\n`,
  );
}
for (const client of clients) client.close();
