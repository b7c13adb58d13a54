// `npm run bench`: runs every benchmark in turn and prints their figures and ratios.
// Each is also runnable alone: node --import tsx bench/<name>.ts
// Pass names to run a subset: npm run bench -- compiler metrics
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const ALL = ['startup', 'compiler', 'metrics', 'ops', 'attention', 'backbones', 'training', 'onnx', 'baselines', 'coreset', 'predict', 'peer', 'train-loop'];
const chosen = process.argv.slice(2).length ? process.argv.slice(2) : ALL;
let failed = 0;
for (const name of chosen) {
  const file = join(here, `${name}.ts`);
  if (!existsSync(file)) {
    console.log(`\n== ${name}: no such benchmark (have: ${ALL.join(', ')})`);
    failed++;
    continue;
  }
  console.log(`\n== ${name} (bench/${name}.ts)`);
  const started = performance.now();
  const r = spawnSync(process.execPath, ['--import', 'tsx', file], { stdio: 'inherit' });
  console.log(`== ${name}: ${r.status === 0 ? 'done' : `failed (exit ${r.status})`} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
