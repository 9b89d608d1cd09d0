/**
 * The false-hit table of docs/semantic-cache.md: `pnpm bench:semantic-eval`. Every mode over the
 * labelled near-miss set (packages/integration/test/semantic/fixtures/near-miss-pairs.jsonl) and
 * over the held-out set written after the guards (near-miss-holdout.jsonl), with the testkit's
 * local embedder; deterministic. Writes docs/bench/semantic-eval.json.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { createLocalEmbedder, evaluateSemanticMode, type LabelledPair, type SemanticMode } from '@keel/testkit';

const fixtures = new URL('../../packages/integration/test/semantic/fixtures/', import.meta.url);
const outFile = fileURLToPath(new URL('../../docs/bench/semantic-eval.json', import.meta.url));

const MODES: readonly { mode: SemanticMode; rounds: number }[] = [
  { mode: { kind: 'fixed', threshold: 0.7, guards: false }, rounds: 1 },
  { mode: { kind: 'fixed', threshold: 0.8, guards: false }, rounds: 1 },
  { mode: { kind: 'fixed', threshold: 0.9, guards: false }, rounds: 1 },
  { mode: { kind: 'fixed', threshold: 0.7, guards: true }, rounds: 1 },
  { mode: { kind: 'error-bounded', delta: 0.02, guards: false }, rounds: 3 },
  { mode: { kind: 'error-bounded', delta: 0.02, guards: true }, rounds: 3 },
  { mode: { kind: 'error-bounded', delta: 0.05, guards: true }, rounds: 3 },
];

async function load(name: string): Promise<LabelledPair[]> {
  return (await readFile(new URL(name, fixtures), 'utf8'))
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as LabelledPair);
}

const embedder = createLocalEmbedder();
const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
const report: Record<string, unknown> = { embedder: embedder.id };
for (const set of ['near-miss-pairs.jsonl', 'near-miss-holdout.jsonl']) {
  const pairs = await load(set);
  const results = [];
  for (const { mode, rounds } of MODES) results.push({ rounds, ...(await evaluateSemanticMode(pairs, mode, { embedder, rounds })) });
  if (set === 'near-miss-holdout.jsonl') {
    // The learned thresholds after the main set's feedback: does what they learnt transfer?
    const warmup = await load('near-miss-pairs.jsonl');
    for (const delta of [0.02, 0.05]) {
      const mode: SemanticMode = { kind: 'error-bounded', delta, guards: true };
      const result = await evaluateSemanticMode(pairs, mode, { embedder, rounds: 1, warmup });
      results.push({ rounds: 1, ...result, mode: `${result.mode}, warmed on the main set` });
    }
  }
  report[set] = { pairs: pairs.length, results };
  console.log(`\n${set} (${pairs.length} pairs)\n`);
  console.log('| mode | rounds | false-hit rate | hit rate (paraphrases) | served: negation / swapped / number / unrelated |');
  console.log('|---|---|---|---|---|');
  for (const r of results) {
    const c = r.servedByCategory;
    console.log(`| ${r.mode} | ${r.rounds} | ${pct(r.falseHitRate)} (${r.falseHits}) | ${pct(r.hitRate)} | ${c.negation} / ${c['swapped-entity']} / ${c['changed-number']} / ${c.unrelated} |`);
  }
}
await writeFile(outFile, `${JSON.stringify(report, null, 2)}\n`);
