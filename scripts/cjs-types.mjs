// Writes a CommonJS twin (`.d.cts`) of every declaration file in ./dist, for consumers that
// `require()` the package. The JavaScript is one ESM build (Node >= 22.12 loads it through
// require(esm)), but types must match the consumer's module system: inside a `.d.cts`, an import
// of `openai` or `@anthropic-ai/sdk` resolves to that SDK's CommonJS declarations — the ones the
// consumer's own `require('openai')` client has — so the SDK classes (nominal through their
// private members) line up. Relative imports are rewritten `./x.js` → `./x.cjs`.
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const dist = join(process.cwd(), 'dist');
const relative = /(from\s+|import\(\s*)(['"])(\.{1,2}\/[^'"]+?)\.js\2/g;

async function* declarations(dir) {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* declarations(path);
    else if (entry.name.endsWith('.d.ts')) yield path;
  }
}

let count = 0;
for await (const file of declarations(dist)) {
  const text = await readFile(file, 'utf8');
  const twin = text.replace(relative, '$1$2$3.cjs$2').replace(/\/\/# sourceMappingURL=.*$/m, '');
  await writeFile(file.replace(/\.d\.ts$/, '.d.cts'), twin);
  count++;
}
console.log(`cjs-types: ${count} declaration file(s) → .d.cts`);
