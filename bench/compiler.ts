// Parse + resolve + check + plan time per pipeline in pipelines/ (median after warm-up).
// Run: node --import tsx bench/compiler.ts
import { readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compilePipeline } from '../compiler/index.ts';
import { parseText } from '../grammar/index.ts';
import { readFileSync } from 'node:fs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const files = (function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(join(dir, e.name)) : /\.(dadf|yaml)$/.test(e.name) ? [join(dir, e.name)] : [],
  );
})(join(root, 'pipelines'));

function median(f: () => void, warmup = 20, runs = 200): number {
  for (let i = 0; i < warmup; i++) f();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = process.hrtime.bigint();
    f();
    times.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

console.log('pipeline                          parse ms   parse+resolve+check+plan ms');
for (const file of files) {
  const text = readFileSync(file, 'utf8');
  const parse = median(() => parseText(text, file));
  const full = median(() => {
    const r = compilePipeline(file);
    if (!r.plan) throw new Error(`${file} does not compile`);
  });
  console.log(`${relative(root, file).padEnd(34)}${parse.toFixed(3).padStart(8)}   ${full.toFixed(3).padStart(10)}`);
}
