/**
 * `pnpm bench:profile`: runs the keel.chat and wrapOpenAI CPU-tier workloads, each in its own
 * `node --cpu-prof` process, and prints where the time goes: self time by package, then the top
 * self-time functions in Keel's own packages (core, openai, testkit) as file:line of the
 * TypeScript source. The .cpuprofile files stay in bench/results/profile/ for a flame graph
 * (open one in Chrome DevTools' Performance panel or https://www.speedscope.app).
 *
 * `pnpm bench:profile keel` profiles one target; BENCH_PROFILE_SECONDS sets how long each runs.
 */
import { spawn } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { SourceMap, type SourceMapPayload } from 'node:module';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const TOP = 25;
const TARGETS = ['keel', 'wrap', 'raw', 'raw-signal', 'policies', 'budget', 'otel'] as const;
const LABELS: Record<(typeof TARGETS)[number], string> = {
  keel: 'keel.chat',
  wrap: 'wrapOpenAI',
  raw: 'openai SDK, raw (baseline)',
  'raw-signal': 'openai SDK + AbortSignal (baseline)',
  policies: 'keel.chat: retry, breaker, timeouts',
  budget: 'keel.chat: policies + feature token budget',
  otel: 'keel.chat: policies + OTel',
};
const KEEL_PATH = /\/packages\/(core|openai|testkit)\//;

const root = fileURLToPath(new URL('../../', import.meta.url));
const dir = fileURLToPath(new URL('../results/profile/', import.meta.url));
const targetScript = fileURLToPath(new URL('./profile-target.ts', import.meta.url));

interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  readonly lineNumber: number;
  readonly columnNumber: number;
}
interface CpuProfile {
  readonly nodes: readonly { readonly id: number; readonly callFrame: CallFrame; readonly children?: readonly number[] }[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

function run(target: string, mapsFile: string): Promise<void> {
  // process.execArgv carries tsx's loader and --conditions=keel-source from `pnpm bench:profile`.
  const args = [
    ...process.execArgv,
    '--cpu-prof',
    '--cpu-prof-dir',
    dir,
    '--cpu-prof-name',
    `${target}.cpuprofile`,
    '--cpu-prof-interval',
    '100',
    targetScript,
    target,
    mapsFile,
  ];
  const child = spawn(process.execPath, args, { stdio: 'inherit' });
  return new Promise((resolve, reject) =>
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${target} profile exited with ${code}`)))),
  );
}

/** The package a frame belongs to: a Keel package, an npm package, or a V8 / Node bucket. */
function packageOf(frame: CallFrame): string {
  const keel = KEEL_PATH.exec(frame.url);
  if (keel) return `@keel/${keel[1]}`;
  const npm = /node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?((?:@[^/]+\/)?[^/]+)/.exec(frame.url);
  if (npm) return npm[1]!;
  if (frame.url.startsWith('node:')) return 'node internals';
  if (frame.url === '') return frame.functionName.startsWith('(') ? frame.functionName : '(native / builtins)';
  return 'other';
}

interface Row {
  readonly name: string;
  readonly where: string;
  selfMs: number;
  /** Self time plus the Node internals and V8 builtins it called directly (timers, AbortSignal, streams…). */
  withBuiltinsMs: number;
}

/** Frames whose time is charged to the nearest Keel caller in the "+ builtins" column. */
const BUILTIN = (pkg: string) => pkg === 'node internals' || pkg === '(native / builtins)';

function analyse(profile: CpuProfile, maps: Record<string, SourceMapPayload>) {
  const byId = new Map(profile.nodes.map((node) => [node.id, node.callFrame]));
  const parentOf = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);
  const self = new Map<number, number>();
  // timeDeltas[i + 1] is the time from sample i to the next one: sample i's share.
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i]!;
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i + 1] ?? 0));
  }
  const sourceMaps = new Map<string, SourceMap>();
  const packages = new Map<string, number>();
  const functions = new Map<string, Row>();
  let totalUs = 0;
  const rowOf = (id: number): Row => {
    const frame = byId.get(id)!;
    let map = sourceMaps.get(frame.url);
    if (!map && maps[frame.url]) sourceMaps.set(frame.url, (map = new SourceMap(maps[frame.url]!)));
    const entry = map?.findEntry(frame.lineNumber, frame.columnNumber);
    const source = entry && 'originalSource' in entry ? entry.originalSource : frame.url;
    const line = entry && 'originalLine' in entry ? entry.originalLine + 1 : frame.lineNumber + 1;
    const where = `${relative(root, fileURLToPath(source))}:${line}`;
    const name = frame.functionName || '(anonymous)';
    const key = `${name}@${where}`;
    let row = functions.get(key);
    if (!row) functions.set(key, (row = { name, where, selfMs: 0, withBuiltinsMs: 0 }));
    return row;
  };
  for (const [id, us] of self) {
    const frame = byId.get(id)!;
    if (frame.functionName === '(idle)') continue;
    totalUs += us;
    const pkg = packageOf(frame);
    packages.set(pkg, (packages.get(pkg) ?? 0) + us);
    if (KEEL_PATH.test(frame.url)) {
      const row = rowOf(id);
      row.selfMs += us / 1_000;
      row.withBuiltinsMs += us / 1_000;
    } else if (BUILTIN(pkg)) {
      // Walk up through builtins to the first caller that is not one: charge it if it is Keel's.
      let up = parentOf.get(id);
      while (up !== undefined && BUILTIN(packageOf(byId.get(up)!))) up = parentOf.get(up);
      if (up !== undefined && KEEL_PATH.test(byId.get(up)!.url)) rowOf(up).withBuiltinsMs += us / 1_000;
    }
  }
  return {
    totalMs: totalUs / 1_000,
    packages: [...packages].map(([name, us]) => ({ name, ms: us / 1_000 })).sort((a, b) => b.ms - a.ms),
    functions: [...functions.values()].sort((a, b) => b.selfMs - a.selfMs),
  };
}

const pct = (ms: number, total: number) => `${((100 * ms) / total).toFixed(1).padStart(5)} %`;

const only = process.argv.slice(2).filter((a) => a !== '--');
// By default the two headline clients; name any targets (`pnpm bench:profile raw budget`) to profile those.
const targets = TARGETS.filter((t) => (only.length === 0 ? t === 'keel' || t === 'wrap' : only.includes(t)));
await rm(dir, { recursive: true, force: true });
await mkdir(dir, { recursive: true });
const report: string[] = [];
for (const target of targets) {
  const mapsFile = `${dir}${target}.sourcemaps.json`;
  await run(target, mapsFile);
  const profile = JSON.parse(await readFile(`${dir}${target}.cpuprofile`, 'utf8')) as CpuProfile;
  const { calls, maps } = JSON.parse(await readFile(mapsFile, 'utf8')) as { calls: number; maps: Record<string, SourceMapPayload> };
  const perCall = (ms: number) => `${((ms * 1_000) / calls).toFixed(2).padStart(6)} µs/call`;
  const { totalMs, packages, functions } = analyse(profile, maps);
  const nameMs = functions.filter((f) => f.name === '__name').reduce((sum, f) => sum + f.selfMs, 0);
  const keelMs = packages.filter((p) => p.name.startsWith('@keel/')).reduce((sum, p) => sum + p.ms, 0);
  report.push(
    '',
    `## ${LABELS[target]} — ${calls} calls, ${totalMs.toFixed(0)} ms sampled (idle excluded, warm-up and start-up included); Keel's own code: ${keelMs.toFixed(0)} ms (${pct(keelMs, totalMs).trim()}, ${perCall(keelMs).trim()}); tsx's __name helper in Keel's code: ${perCall(nameMs).trim()}`,
    '',
    'self time by package:',
    ...packages.slice(0, 14).map((p) => `  ${p.ms.toFixed(1).padStart(9)} ms ${pct(p.ms, totalMs)} ${perCall(p.ms)}  ${p.name}`),
    '',
    `top ${TOP} self-time functions in packages/core|openai|testkit (self ms, share of all samples, per call; then self + the Node/V8 builtins it called):`,
    ...functions
      .slice(0, TOP)
      .map(
        (f, i) =>
          `  ${String(i + 1).padStart(2)}. ${f.selfMs.toFixed(1).padStart(8)} ms ${pct(f.selfMs, totalMs)} ${perCall(f.selfMs)}  (+builtins ${perCall(f.withBuiltinsMs)})  ${f.name}  ${f.where}`,
      ),
    '',
    'top 10 by self + builtins called:',
    ...[...functions]
      .sort((a, b) => b.withBuiltinsMs - a.withBuiltinsMs)
      .slice(0, 10)
      .map((f, i) => `  ${String(i + 1).padStart(2)}. ${f.withBuiltinsMs.toFixed(1).padStart(8)} ms ${pct(f.withBuiltinsMs, totalMs)} ${perCall(f.withBuiltinsMs)}  ${f.name}  ${f.where}`),
  );
}
const text = `${report.join('\n')}\n`;
process.stdout.write(text);
await writeFile(`${dir}top.txt`, text);
process.stdout.write(`\nprofiles in bench/results/profile/ (${targets.map((t) => `${t}.cpuprofile`).join(', ')}; this report: top.txt)\n`);
