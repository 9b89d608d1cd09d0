/** The results as JSON, as the Markdown that goes into docs/benchmarks.md, and as charts. */
import { readFile, writeFile } from 'node:fs/promises';
import type { Added, Measured, MeasureOptions, Stats, Throughput, ThroughputOptions } from './harness.js';
import { added, throughputRatio } from './harness.js';
import { fmt, renderChart, renderRatioChart, signed, type ChartRow } from './svg.js';

export interface Machine {
  readonly node: string;
  readonly v8: string;
  readonly platform: string;
  readonly cpu: string;
  readonly cores: number;
  /** Installed version of every measured package. */
  readonly packages: Readonly<Record<string, string>>;
  /** Which Keel code ran: the built packages (dist/), as a service installs them, or the TypeScript source. */
  readonly keelCode: string;
  /** 1-minute load average when the run began and ended: above the core count, other work shared the CPUs. */
  readonly loadAverageAtStart: number;
  loadAverageAtEnd?: number | undefined;
}

export interface LatencyGroup {
  readonly kind: 'latency';
  readonly id: string;
  readonly title: string;
  readonly tier: 'cpu' | 'loopback';
  /** Prompt size id (`40B`, …) for chat groups. */
  readonly prompt?: string | undefined;
  /** Text deltas per reply, for stream groups. */
  readonly streamDeltas?: number | undefined;
  readonly options: MeasureOptions;
  readonly measured: ReadonlyMap<string, Measured>;
  readonly baseline: string;
}

export interface ThroughputGroup {
  readonly kind: 'throughput';
  readonly id: string;
  readonly title: string;
  readonly concurrency: number;
  readonly options: ThroughputOptions;
  readonly measured: ReadonlyMap<string, Throughput>;
  readonly baseline: string;
}

export type Group = LatencyGroup | ThroughputGroup;

export interface Results {
  readonly machine: Machine;
  readonly date: Date;
  readonly durationS: number;
  readonly quick: boolean;
  readonly groups: readonly Group[];
  /** Client ids in table order, with their labels. */
  readonly clients: readonly { readonly id: string; readonly label: string }[];
}

interface Comparison extends Added {
  readonly scenario: string;
}

function comparisons(group: LatencyGroup): Comparison[] {
  const base = group.measured.get(group.baseline);
  if (!base) return [];
  return [...group.measured.values()]
    .filter(({ scenario }) => scenario.id !== group.baseline)
    .map((m) => ({ scenario: m.scenario.id, ...added(base, m) }));
}

const latency = (results: Results, tier: LatencyGroup['tier'], prompt: string) =>
  results.groups.find((g): g is LatencyGroup => g.kind === 'latency' && g.tier === tier && g.prompt === prompt);
const stream = (results: Results, deltas: number) =>
  results.groups.find((g): g is LatencyGroup => g.kind === 'latency' && g.streamDeltas === deltas);
const throughput = (results: Results, concurrency: number) =>
  results.groups.find((g): g is ThroughputGroup => g.kind === 'throughput' && g.concurrency === concurrency);

/** Median µs a client adds over the baseline in a latency group. */
function addedUs(group: LatencyGroup | undefined, id: string): number | undefined {
  const base = group?.measured.get(group.baseline);
  const m = group?.measured.get(id);
  return base && m && id !== group?.baseline ? m.stats.medianUs - base.stats.medianUs : undefined;
}

function p50Ratio(group: LatencyGroup | undefined, id: string): number | undefined {
  const base = group?.measured.get(group.baseline);
  const m = group?.measured.get(id);
  return base && m ? m.stats.medianUs / base.stats.medianUs : undefined;
}

/** Loopback throughput ratio; at concurrency 1 it comes from the sequential group (10⁶ / mean µs). */
function throughputRatioOf(results: Results, concurrency: number, id: string): number | undefined {
  if (concurrency === 1) {
    const group = latency(results, 'loopback', '40B');
    const base = group?.measured.get(group.baseline);
    const m = group?.measured.get(id);
    return base && m ? m.stats.opsPerSec / base.stats.opsPerSec : undefined;
  }
  const group = throughput(results, concurrency);
  const base = group?.measured.get(group.baseline);
  const m = group?.measured.get(id);
  return base && m ? throughputRatio(base, m) : undefined;
}

/** µs a client adds per extra stream chunk: the growth of its added median from the short to the long stream. */
function perChunkUs(results: Results, id: string, [short, long]: readonly [number, number]): number | undefined {
  const a = addedUs(stream(results, short), id);
  const b = addedUs(stream(results, long), id);
  return a === undefined || b === undefined ? undefined : (b - a) / (long - short);
}

export interface Summary {
  readonly id: string;
  readonly label: string;
  readonly cpuAddedUs: Readonly<Record<string, number | undefined>>;
  readonly loopbackP50Ratio: Readonly<Record<string, number | undefined>>;
  readonly loopbackAddedUs: Readonly<Record<string, number | undefined>>;
  readonly throughputRatio: Readonly<Record<string, number | undefined>>;
  readonly streamUsPerChunk: number | undefined;
  /**
   * CPU tier, 40 B, in the feature-by-feature group, where only Keel's clients and the raw SDK
   * take turns: the same call as `cpuAddedUs['40B']` with less unrelated code run between its
   * batches (see docs/benchmarks.md, "Warm and mixed").
   */
  readonly cpuAddedUsKeelGroup: number | undefined;
}

export function summarizeClients(results: Results, prompts: readonly string[], concurrencies: readonly number[], deltas: readonly [number, number]): Summary[] {
  return results.clients.map(({ id, label }) => ({
    id,
    label,
    cpuAddedUs: Object.fromEntries(prompts.map((p) => [p, addedUs(latency(results, 'cpu', p), id)])),
    loopbackP50Ratio: Object.fromEntries(prompts.map((p) => [p, p50Ratio(latency(results, 'loopback', p), id)])),
    loopbackAddedUs: Object.fromEntries(prompts.map((p) => [p, addedUs(latency(results, 'loopback', p), id)])),
    throughputRatio: Object.fromEntries(concurrencies.map((c) => [`c${c}`, throughputRatioOf(results, c, id)])),
    streamUsPerChunk: perChunkUs(results, id, deltas),
    cpuAddedUsKeelGroup: addedUs(latency(results, 'cpu', 'keel-features'), id),
  }));
}

/** Issue #18's goal figures, checked against this run. */
export function goals(summary: readonly Summary[]) {
  const of = (id: string) => summary.find((s) => s.id === id);
  const keel = of('keel');
  const wrap = of('wrap');
  const rows: { goal: string; client: string; measured: number | undefined; limit: number; unit: string; atMost: boolean }[] = [];
  const add = (goal: string, client: Summary | undefined, measured: number | undefined, limit: number, unit: string, atMost = true) =>
    client && rows.push({ goal, client: client.label, measured, limit, unit, atMost });
  add('CPU tier, 40 B: added µs', keel, keel?.cpuAddedUs['40B'], 20, 'µs');
  add('CPU tier, 40 B: added µs', wrap, wrap?.cpuAddedUs['40B'], 25, 'µs');
  add('CPU tier, 40 B, Keel group (warm): added µs', keel, keel?.cpuAddedUsKeelGroup, 20, 'µs');
  for (const c of [keel, wrap]) {
    add('loopback p50 ratio, 40 B', c, c?.loopbackP50Ratio['40B'], 1.05, '×');
    add('loopback added µs, 10 KB', c, c?.loopbackAddedUs['10KB'], 60, 'µs');
    add('loopback added µs, 100 KB', c, c?.loopbackAddedUs['100KB'], 300, 'µs');
    add('stream: added µs per chunk', c, c?.streamUsPerChunk, 1, 'µs');
    add('loopback throughput at 256 in flight', c, c?.throughputRatio['c256'], 0.97, '×', false);
  }
  return rows.map((row) => ({
    ...row,
    met: row.measured === undefined ? undefined : row.atMost ? row.measured <= row.limit : row.measured >= row.limit,
  }));
}

export function toJSON(results: Results, summary: readonly Summary[]) {
  return {
    benchmark: 'keel-overhead-peers',
    date: results.date.toISOString(),
    quick: results.quick,
    durationS: round(results.durationS, 1),
    machine: results.machine,
    method:
      'One process; clients interleaved round by round (rotating order); every call timed alone with process.hrtime.bigint(); GC left to V8. Latency groups: medianUs/p99Us over all samples, opsPerSec = 1e6 / mean µs with one call in flight. Throughput groups: calls per second of each round with N calls in flight, median over rounds; ratios are medians of round-by-round ratios. Loopback: the testkit server (keel-testkit serve) in a child process.',
    summary: summary.map((s) => roundDeep(s)),
    goals: goals(summary).map((g) => roundDeep(g)),
    groups: results.groups.map((group) =>
      group.kind === 'latency'
        ? {
            kind: group.kind,
            id: group.id,
            title: group.title,
            tier: group.tier,
            prompt: group.prompt,
            streamDeltas: group.streamDeltas,
            baseline: group.baseline,
            ...group.options,
            scenarios: [...group.measured.values()].map(({ scenario, stats }) => ({ id: scenario.id, label: scenario.label, ...rounded(stats) })),
            comparisons: comparisons(group).map((c) => ({
              scenario: c.scenario,
              addedMedianUs: round(c.us, 2),
              ratio: round(c.ratio, 3),
              addedMedianRoundIqrUs: c.roundIqrUs.map((v) => round(v, 2)),
              addedCpuUs: round(c.cpuUs, 2),
              addedCpuRoundIqrUs: c.cpuRoundIqrUs.map((v) => round(v, 2)),
            })),
          }
        : {
            kind: group.kind,
            id: group.id,
            title: group.title,
            baseline: group.baseline,
            ...group.options,
            scenarios: [...group.measured.values()].map((t) => ({
              id: t.scenario.id,
              label: t.scenario.label,
              opsPerSec: Math.round(t.opsPerSec),
              ratio: round(throughputRatio(group.measured.get(group.baseline)!, t), 3),
              roundOpsPerSec: t.roundOpsPerSec.map((v) => Math.round(v)),
            })),
          },
    ),
  };
}

const cell = (value: number | undefined, format: (v: number) => string) => (value === undefined ? '—' : format(value));
const ratio = (v: number) => v.toFixed(2);
const us = (v: number) => signed(v);

export function toMarkdown(results: Results, summary: readonly Summary[], prompts: readonly { id: string; label: string }[], concurrencies: readonly number[]): string {
  const { machine } = results;
  const versions = Object.entries(machine.packages)
    .map(([name, version]) => `${name} ${version}`)
    .join(', ');
  const lines = [
    `Measured ${results.date.toISOString().slice(0, 10)}${results.quick ? ' (BENCH_QUICK: a fraction of the samples)' : ''} on ${machine.cpu}, ${machine.cores} cores, Node ${machine.node} (${machine.platform}); Keel from ${machine.keelCode}; load average ${machine.loadAverageAtStart} at the start, ${machine.loadAverageAtEnd ?? '?'} at the end; ${results.durationS.toFixed(0)} s in all.`,
    '',
    `<sub>${versions}.</sub>`,
    '',
    '**Summary** — every client over the same `openai` wire format; CPU tier: µs per call added to the raw SDK (median); loopback: p50 over the raw SDK\'s, µs added, and throughput over the raw SDK\'s with N calls in flight; streams: µs added per chunk.',
    '',
    `| client | ${prompts.map((p) => `CPU +µs ${p.label}`).join(' | ')} | ${prompts.map((p) => `loopback p50 × ${p.label}`).join(' | ')} | ${prompts
      .slice(1)
      .map((p) => `loopback +µs ${p.label}`)
      .join(' | ')} | ${concurrencies.map((c) => `throughput × c=${c}`).join(' | ')} | stream +µs/chunk |`,
    `|---|${[...prompts, ...prompts, ...prompts.slice(1), ...concurrencies, 0].map(() => '--:').join('|')}|`,
  ];
  for (const s of summary) {
    const bold = s.id === 'keel' || s.id === 'wrap' ? '**' : '';
    lines.push(
      `| ${bold}${s.label}${bold} | ${prompts.map((p) => cell(s.cpuAddedUs[p.id], us)).join(' | ')} | ${prompts
        .map((p) => cell(s.loopbackP50Ratio[p.id], ratio))
        .join(' | ')} | ${prompts
        .slice(1)
        .map((p) => cell(s.loopbackAddedUs[p.id], us))
        .join(' | ')} | ${concurrencies.map((c) => cell(s.throughputRatio[`c${c}`], ratio)).join(' | ')} | ${cell(s.streamUsPerChunk, (v) => signed(v, 2))} |`,
    );
  }
  lines.push('', '**Issue #18 goals in this run**', '', '| goal | client | measured | target | met |', '|---|---|--:|--:|:-:|');
  for (const g of goals(summary)) {
    const value = g.measured === undefined ? '—' : g.unit === '×' ? g.measured.toFixed(2) : fmt(g.measured);
    lines.push(`| ${g.goal} | ${g.client} | ${value} ${g.unit} | ${g.atMost ? '≤' : '≥'} ${g.limit} ${g.unit} | ${g.met === undefined ? '—' : g.met ? 'yes' : 'no'} |`);
  }
  lines.push('', '<details><summary>Every group in detail</summary>', '');
  for (const group of results.groups) lines.push(...(group.kind === 'latency' ? latencyTable(group) : throughputTable(group)), '');
  lines.push('</details>', '');
  return lines.join('\n');
}

function latencyTable(group: LatencyGroup): string[] {
  const compared = new Map(comparisons(group).map((c) => [c.scenario, c]));
  const lines = [
    `**${group.title}** — ${group.options.rounds} rounds × ${group.options.batch} calls per client, after ${group.options.warmupCalls} warm-up calls`,
    '',
    '| client | median µs | p99 µs | ops/s | CPU µs/call | added: median | added: CPU | added, round by round (25th … 75th) |',
    '|---|--:|--:|--:|--:|--:|--:|--:|',
  ];
  for (const { scenario, stats } of group.measured.values()) {
    const c = compared.get(scenario.id);
    const vs = c
      ? `${signed(c.us)} µs (${signed(c.ratio * 100, 0)} %) | ${signed(c.cpuUs)} µs | ${fmt(c.roundIqrUs[0])} … ${fmt(c.roundIqrUs[1])} µs`
      : '— | — | —';
    lines.push(
      `| ${scenario.label} | ${fmt(stats.medianUs)} | ${fmt(stats.p99Us)} | ${Math.round(stats.opsPerSec).toLocaleString('en-US')} | ${fmt(stats.cpuUsPerCall)} | ${vs} |`,
    );
  }
  return lines;
}

function throughputTable(group: ThroughputGroup): string[] {
  const base = group.measured.get(group.baseline)!;
  const lines = [
    `**${group.title}** — ${group.options.rounds} rounds × ${group.options.callsPerRound} calls per client, ${group.concurrency} in flight, after ${group.options.warmupRounds} warm-up round(s)`,
    '',
    '| client | calls/s (median of rounds) | × raw SDK (median of round ratios) |',
    '|---|--:|--:|',
  ];
  for (const t of group.measured.values()) {
    lines.push(`| ${t.scenario.label} | ${Math.round(t.opsPerSec).toLocaleString('en-US')} | ${t === base ? '—' : ratio(throughputRatio(base, t))} |`);
  }
  return lines;
}

/** µs per call on the CPU tier, one panel per prompt size (and the stream groups). */
export function toChart(results: Results): string {
  const { machine } = results;
  const groups = results.groups.filter((g): g is LatencyGroup => g.kind === 'latency' && g.tier === 'cpu');
  return renderChart({
    title: 'Cost per call on the CPU tier (fetch answers at once), next to the raw openai SDK',
    subtitle: `${results.date.toISOString().slice(0, 10)} · Node ${machine.node} · ${machine.cpu} (${machine.cores} cores) · openai ${machine.packages['openai'] ?? '?'}`,
    sections: groups.map((group) => {
      const base = group.measured.get(group.baseline);
      return {
        title: group.title,
        rows: [...group.measured.values()].map(({ scenario, stats }): ChartRow => ({
          label: scenario.label,
          medianUs: stats.medianUs,
          p99Us: stats.p99Us,
          baselineUs: base?.stats.medianUs,
          raw: scenario.id === group.baseline,
          keelOnly: scenario.id === 'pipeline',
        })),
      };
    }),
  });
}

/** Loopback ratios to the raw SDK: p50 per prompt size, throughput per concurrency. */
export function toRatioChart(results: Results, summary: readonly Summary[], prompts: readonly { id: string; label: string }[], concurrencies: readonly number[]): string {
  const { machine } = results;
  return renderRatioChart({
    title: 'Loopback HTTP (testkit server): each client over the raw openai SDK',
    subtitle: `${results.date.toISOString().slice(0, 10)} · Node ${machine.node} · ${machine.cpu} (${machine.cores} cores) · 1.00 = the raw SDK`,
    sections: [
      ...prompts.map((p) => ({
        title: `p50 latency ratio, ${p.label} prompt, one call at a time (lower is better)`,
        rows: summary.map((s) => ({ label: s.label, value: s.loopbackP50Ratio[p.id], highlight: s.id === 'keel' || s.id === 'wrap' })),
      })),
      ...concurrencies.map((c) => ({
        title: `throughput ratio, ${c} call${c === 1 ? '' : 's'} in flight, 40 B prompt (higher is better)`,
        rows: summary.map((s) => ({ label: s.label, value: s.throughputRatio[`c${c}`], highlight: s.id === 'keel' || s.id === 'wrap' })),
      })),
    ],
  });
}

const START = '<!-- bench:overhead:start (written by `pnpm bench -- --update-docs`; edits inside are overwritten) -->';
const START_PREFIX = '<!-- bench:overhead:start';
const END = '<!-- bench:overhead:end -->';

/** Replaces the marked section of docs/benchmarks.md; the rest of the page is left as written. */
export async function updateDocsSection(path: string, markdown: string): Promise<boolean> {
  const page = await readFile(path, 'utf8');
  const start = page.indexOf(START_PREFIX);
  const end = page.indexOf(END);
  if (start < 0 || end < start) return false;
  await writeFile(path, `${page.slice(0, start)}${START}\n\n${markdown.trim()}\n\n${page.slice(end)}`);
  return true;
}

function rounded(stats: Stats & { readonly cpuUsPerCall: number }) {
  return {
    samples: stats.samples,
    cpuUsPerCall: round(stats.cpuUsPerCall, 2),
    medianUs: round(stats.medianUs, 2),
    p99Us: round(stats.p99Us, 2),
    meanUs: round(stats.meanUs, 2),
    opsPerSec: Math.round(stats.opsPerSec),
  };
}

/** Every number in a plain object rounded to 3 decimals. */
function roundDeep<T>(value: T): T {
  return JSON.parse(JSON.stringify(value, (_key, v: unknown) => (typeof v === 'number' ? round(v, 3) : v))) as T;
}

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
