/**
 * What reading a model's structured output costs, per KB: `pnpm bench:structured`.
 *
 * Keel's tolerant path (`parseModelJson`: size cap, JSON location and depth scan, jsonrepair
 * when needed, secure-json-parse) plus zod validation, on generated outputs of 1 KB to the 1 MiB
 * cap, three shapes: strict JSON, messy JSON (single quotes, unquoted keys, trailing commas: the
 * repair pass runs, so up to its 32 KiB cap) and a fenced answer with prose around it. The time at the cap bounds the
 * longest event-loop block a single answer can cause. Writes bench/results/structured-parse.json.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg, platform, release } from 'node:os';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { DEFAULT_OUTPUT_LIMITS, parseModelJson } from '@keel/core';

const resultsDir = fileURLToPath(new URL('../results/', import.meta.url));
const quick = process.env['BENCH_QUICK'] === '1';
const SIZES_KB = [1, 16, 256, 1023] as const;
/** The repair pass runs only up to `maxRepairChars` (32 KiB): messy output is measured below it. */
const MESSY_SIZES_KB = [1, 8, 31] as const;

const record = z.object({ id: z.number(), name: z.string(), tags: z.array(z.string()), active: z.boolean() });
const schema = z.object({ records: z.array(record) });

/** An output of about `kb` KB in one of the shapes. */
function output(kb: number, shape: 'strict' | 'messy' | 'fenced'): string {
  const records: string[] = [];
  let length = 0;
  for (let id = 0; length < kb * 1024 - 64; id++) {
    const item =
      shape === 'messy'
        ? `{id: ${id}, name: 'record number ${id}', tags: ['alpha', 'beta',], active: true,}`
        : `{"id": ${id}, "name": "record number ${id}", "tags": ["alpha", "beta"], "active": true}`;
    records.push(item);
    length += item.length + 2;
  }
  const json = `{"records": [${records.join(', ')}]}`;
  return shape === 'fenced' ? `Here are the records you asked for:\n\`\`\`json\n${json}\n\`\`\`\nLet me know if you need more.` : json;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function time(text: string): number {
  const start = process.hrtime.bigint();
  const parsed = parseModelJson(text);
  if (!parsed.ok || !schema.safeParse(parsed.value).success) throw new Error('the bench output did not parse');
  return Number(process.hrtime.bigint() - start) / 1e6;
}

const rows = [];
for (const shape of ['strict', 'messy', 'fenced'] as const) {
  for (const kb of shape === 'messy' ? MESSY_SIZES_KB : SIZES_KB) {
    const text = output(kb, shape);
    const samples = quick ? 5 : Math.max(9, Math.ceil(2_000 / kb));
    for (let i = 0; i < Math.min(3, samples); i++) time(text);
    const ms = median(Array.from({ length: samples }, () => time(text)));
    const actualKb = text.length / 1024;
    rows.push({ shape, kb: Number(actualKb.toFixed(1)), medianMs: Number(ms.toFixed(3)), usPerKb: Number(((ms * 1000) / actualKb).toFixed(2)), samples });
    process.stdout.write(`${shape.padEnd(7)} ${actualKb.toFixed(0).padStart(5)} KB  ${ms.toFixed(3).padStart(8)} ms  ${((ms * 1000) / actualKb).toFixed(2).padStart(7)} µs/KB\n`);
  }
}

const atCap = Math.max(...rows.filter((row) => row.kb > 1000).map((row) => row.medianMs));
const atRepairCap = Math.max(...rows.filter((row) => row.shape === 'messy').map((row) => row.medianMs));
const result = {
  what: 'parseModelJson + zod validation per output size and shape',
  limits: DEFAULT_OUTPUT_LIMITS,
  worstAtCapMs: atCap,
  worstAtRepairCapMs: atRepairCap,
  machine: { node: process.versions.node, platform: `${platform()} ${release()} ${process.arch}`, cpu: cpus()[0]?.model.trim() ?? 'unknown', cores: cpus().length, loadAverageAtStart: Number(loadavg()[0]!.toFixed(2)) },
  quick,
  rows,
};
await mkdir(resultsDir, { recursive: true });
await writeFile(`${resultsDir}structured-parse.json`, `${JSON.stringify(result, null, 2)}\n`);
process.stdout.write(
  `\nworst at the ${DEFAULT_OUTPUT_LIMITS.maxChars}-character cap: ${atCap.toFixed(1)} ms; repaired at the ${DEFAULT_OUTPUT_LIMITS.maxRepairChars}-character repair cap: ${atRepairCap.toFixed(1)} ms → bench/results/structured-parse.json\n`,
);
