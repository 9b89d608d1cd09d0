/**
 * The false-hit table of docs/semantic-cache.md: `pnpm bench:semantic-eval`. Every mode over the
 * labelled near-miss set (packages/integration/test/semantic/fixtures/near-miss-pairs.jsonl)
 * with the testkit's local embedder; deterministic. Writes docs/bench/semantic-eval.json.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { createLocalEmbedder, evaluateSemanticMode, type LabelledPair, type SemanticMode } from '@keel/testkit';

const fixture = new URL('../../packages/integration/test/semantic/fixtures/near-miss-pairs.jsonl', import.meta.url);
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

const pairs = (await readFile(fixture, 'utf8'))
  .split('\n')
  .filter((line) => line.trim() !== '')
  .map((line) => JSON.parse(line) as LabelledPair);
const embedder = createLocalEmbedder();
const results = [];
for (const { mode, rounds } of MODES) results.push({ rounds, ...(await evaluateSemanticMode(pairs, mode, { embedder, rounds })) });
await writeFile(outFile, `${JSON.stringify({ pairs: pairs.length, embedder: embedder.id, results }, null, 2)}\n`);
const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
console.log('| mode | rounds | false-hit rate | hit rate (paraphrases) | served: negation / swapped / number / unrelated |');
console.log('|---|---|---|---|---|');
for (const r of results) {
  const c = r.servedByCategory;
  console.log(`| ${r.mode} | ${r.rounds} | ${pct(r.falseHitRate)} (${r.falseHits}) | ${pct(r.hitRate)} | ${c.negation} / ${c['swapped-entity']} / ${c['changed-number']} / ${c.unrelated} |`);
}
