/** The results as JSON, as the Markdown that goes into docs/benchmarks.md, and as a chart. */
import { readFile, writeFile } from 'node:fs/promises';
import type { Added, Measured, MeasureOptions, Stats } from './harness.js';
import { added } from './harness.js';
import { fmt, renderChart, signed, type ChartRow } from './svg.js';

export interface Machine {
  readonly node: string;
  readonly v8: string;
  readonly platform: string;
  readonly cpu: string;
  readonly cores: number;
  readonly openai: string;
  /** 1-minute load average when the run began and ended: above the core count, other work shared the CPUs. */
  readonly loadAverageAtStart: number;
  readonly loadAverageAtEnd?: number | undefined;
}

export interface Group {
  readonly id: string;
  readonly title: string;
  readonly options: MeasureOptions;
  readonly measured: ReadonlyMap<string, Measured>;
  /** scenario id → the raw-SDK scenario it is compared with. */
  readonly baselines: Readonly<Record<string, string>>;
}

export interface Comparison extends Added {
  readonly scenario: string;
  readonly baseline: string;
}

export function toJSON(machine: Machine, date: Date, durationS: number, groups: readonly Group[]) {
  return {
    benchmark: 'keel-overhead',
    date: date.toISOString(),
    durationS: round(durationS, 1),
    machine,
    method:
      'Same process, scenarios interleaved round by round; every call timed alone with process.hrtime.bigint(); GC left to V8. medianUs/p99Us over all samples; opsPerSec = 1e6 / mean µs, one call in flight.',
    groups: groups.map((group) => ({
      id: group.id,
      title: group.title,
      ...group.options,
      scenarios: [...group.measured.values()].map(({ scenario, stats }) => ({ id: scenario.id, label: scenario.label, ...rounded(stats) })),
      comparisons: comparisons(group).map((c) => ({
        scenario: c.scenario,
        baseline: c.baseline,
        addedMedianUs: round(c.us, 2),
        ratio: round(c.ratio, 3),
        addedMedianRoundIqrUs: c.roundIqrUs.map((v) => round(v, 2)),
        addedCpuUs: round(c.cpuUs, 2),
        cpuRatio: round(c.cpuRatio, 3),
        addedCpuRoundIqrUs: c.cpuRoundIqrUs.map((v) => round(v, 2)),
      })),
    })),
  };
}

export function comparisons(group: Group): Comparison[] {
  return Object.entries(group.baselines).flatMap(([scenario, baseline]) => {
    const b = group.measured.get(scenario);
    const a = group.measured.get(baseline);
    if (!a || !b) return [];
    return [{ scenario, baseline, ...added(a, b) }];
  });
}

export function toMarkdown(machine: Machine, date: Date, groups: readonly Group[]): string {
  const lines = [
    `Measured ${date.toISOString().slice(0, 10)} on ${machine.cpu}, ${machine.cores} cores, Node ${machine.node} (${machine.platform}), openai ${machine.openai}; load average ${machine.loadAverageAtStart} at the start, ${machine.loadAverageAtEnd ?? '?'} at the end.`,
    '',
  ];
  for (const group of groups) {
    const compared = new Map(comparisons(group).map((c) => [c.scenario, c]));
    lines.push(`**${group.title}** — ${group.options.rounds} rounds × ${group.options.batch} calls per scenario, after ${group.options.warmupCalls} warm-up calls`, '');
    lines.push('| scenario | samples | median µs | p99 µs | ops/s | CPU µs/call | added: median (vs SDK) | added: CPU (vs SDK) |');
    lines.push('|---|--:|--:|--:|--:|--:|--:|--:|');
    for (const { scenario, stats } of group.measured.values()) {
      const c = compared.get(scenario.id);
      const vs = c
        ? `${signed(c.us)} µs (${signed(c.ratio * 100, 0)} %) | ${signed(c.cpuUs)} µs (${signed(c.cpuRatio * 100, 0)} %)`
        : '— | —';
      lines.push(
        `| ${scenario.label} | ${stats.samples} | ${fmt(stats.medianUs)} | ${fmt(stats.p99Us)} | ${Math.round(stats.opsPerSec).toLocaleString('en-US')} | ${fmt(stats.cpuUsPerCall)} | ${vs} |`,
      );
    }
    const iqrs = comparisons(group).map((c) => `${labelOf(group, c.scenario)} ${fmt(c.roundIqrUs[0])} … ${fmt(c.roundIqrUs[1])} µs`);
    if (iqrs.length) lines.push('', `<sub>Added median, round by round (25th … 75th percentile): ${iqrs.join('; ')}.</sub>`);
    lines.push('');
  }
  return lines.join('\n');
}

export function toChart(machine: Machine, date: Date, groups: readonly Group[]): string {
  return renderChart({
    title: 'Keel overhead per call, next to the openai SDK call it wraps',
    subtitle: `${date.toISOString().slice(0, 10)} · Node ${machine.node} · ${machine.cpu} (${machine.cores} cores) · openai ${machine.openai}`,
    sections: groups.map((group) => ({
      title: group.title,
      rows: [...group.measured.values()].map(({ scenario, stats }): ChartRow => {
        const baseline = group.baselines[scenario.id];
        const isRaw = scenario.id.includes('raw');
        return {
          label: scenario.label,
          medianUs: stats.medianUs,
          p99Us: stats.p99Us,
          baselineUs: baseline ? group.measured.get(baseline)?.stats.medianUs : undefined,
          raw: isRaw,
          keelOnly: scenario.id === 'pipeline',
        };
      }),
    })),
  });
}

const START = '<!-- bench:overhead:start (written by `pnpm bench`; edits inside are overwritten) -->';
const END = '<!-- bench:overhead:end -->';

/** Replaces the marked section of docs/benchmarks.md; the rest of the page is left as written. */
export async function updateDocsSection(path: string, markdown: string): Promise<boolean> {
  const page = await readFile(path, 'utf8').catch(() => undefined);
  if (page === undefined) return false;
  const start = page.indexOf(START);
  const end = page.indexOf(END);
  if (start < 0 || end < start) return false;
  await writeFile(path, `${page.slice(0, start + START.length)}\n\n${markdown.trim()}\n\n${page.slice(end)}`);
  return true;
}

function labelOf(group: Group, id: string): string {
  return group.measured.get(id)?.scenario.label ?? id;
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

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
