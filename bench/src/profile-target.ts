/**
 * The workload `pnpm bench:profile` runs under `node --cpu-prof`: one Keel client (`keel` or
 * `wrap`, argv[2]) on the CPU tier (the instant fetch, a 40 B prompt), called back to back for
 * BENCH_PROFILE_SECONDS (default 10). Before exiting it writes how many calls it made and the
 * source maps of every Keel module it loaded, so the profile's positions (in tsx's generated code) can be read as
 * file:line of the TypeScript source.
 */
import { readdir, writeFile } from 'node:fs/promises';
import { findSourceMap } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { KEEL_FACTORIES } from './keel-clients.js';
import { createInstantFetch, promptOf, replyText } from './fixtures.js';

const target = process.argv[2] as keyof typeof KEEL_FACTORIES;
const out = process.argv[3];
const make = KEEL_FACTORIES[target];
if (!make || !out) throw new Error(`usage: profile-target.ts <${Object.keys(KEEL_FACTORIES).join('|')}> <source-maps.json>`);

const seconds = Number(process.env['BENCH_PROFILE_SECONDS'] ?? 10);
// BENCH_PROFILE_STREAM=1: streamed calls of 10 text deltas instead of chat calls.
const streamed = process.env['BENCH_PROFILE_STREAM'] === '1';
const client = make({ baseURL: 'http://bench.invalid/v1', fetch: createInstantFetch().fetch });
const messages = promptOf(40);
const call = streamed ? () => client.stream(messages) : () => client.chat(messages);
if ((await call()) !== replyText(streamed ? 10 : undefined)) throw new Error(`${target}: did not read the whole reply`);

let calls = 0;
const until = performance.now() + seconds * 1_000;
while (performance.now() < until) {
  // A batch between clock reads, so reading the clock is not what gets profiled.
  for (let i = 0; i < 100; i++) await call();
  calls += 100;
}
client.close();

const packages = fileURLToPath(new URL('../../packages/', import.meta.url));
const maps: Record<string, unknown> = {};
for (const file of await readdir(packages, { recursive: true })) {
  if (!file.endsWith('.ts') || file.includes('node_modules')) continue;
  const url = pathToFileURL(join(packages, file)).href;
  const map = findSourceMap(url);
  if (map) maps[url] = map.payload;
}
await writeFile(out, JSON.stringify({ calls, maps }));
process.stdout.write(`${target}: ${calls} calls in ${seconds} s (${((seconds * 1e6) / calls).toFixed(1)} µs per call, profiler on)\n`);
