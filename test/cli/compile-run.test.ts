// `dadfc compile && dadfc run` is a real sequence: what compile wrote (the plan, or the module
// beside it) trains and tests, with the weights found from the plan's own folder.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateSyntheticDataset } from '../../runtime/synth/index.ts';
import { repoRoot, tempDir } from '../compiler/helpers.ts';
import { cliRunner } from './helpers.ts';

const dadfc = cliRunner({ DADF_BACKEND: 'cpu' });

let data = '';
let build = '';
before(async () => {
  data = join(tempDir(), 'synth');
  await generateSyntheticDataset({ dir: data, seed: 4, category: 'bottle', size: 64, trainCount: 8, testGoodCount: 2, testPerDefect: 1 });
  build = join(tempDir(), 'build');
});

test('compile writes a plan whose weights path is relative to its own folder', () => {
  const r = dadfc('compile', 'pipelines/dadf-cpu.dadf', '-o', build, '--no-ts', '-q');
  assert.equal(r.code, 0, r.err);
  const plan = JSON.parse(readFileSync(join(build, 'dadf_cpu.plan.json'), 'utf8'));
  const weights = plan.spec.backbone.weights;
  assert.equal(weights.name, 'DADF_MOBILENET_V1_025_WEIGHTS');
  assert.ok(existsSync(join(build, weights.default)), `${weights.default} from ${build}`);
  const checked = dadfc('check', join(build, 'dadf_cpu.plan.json'));
  assert.equal(checked.code, 0, checked.err + checked.out);
  assert.doesNotMatch(checked.out + checked.err, /DADF4018/, 'the bundled weights are found through the plan');
});

test('dadfc run accepts the module compile wrote (and its plan), with --set', () => {
  const c = dadfc('compile', 'pipelines/tiny.dadf', '-o', build, '-q');
  assert.equal(c.code, 0, c.err);
  assert.match(readFileSync(join(build, 'tiny.ts'), 'utf8'), /from "dadf\/runtime"/);
  const run = join(tempDir(), 'run');
  const r = dadfc(
    'run',
    join(build, 'tiny.ts'),
    '--data',
    data,
    '-o',
    run,
    '--no-cache',
    '--quiet',
    '--set',
    'train.stages.reconstruct.epochs=1',
    '--set',
    'train.stages.flow.epochs=1',
  );
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /overall/);
  const meta = JSON.parse(readFileSync(join(run, 'run.json'), 'utf8'));
  assert.equal(meta.status, 'trained');
});

test('a JSON file that is not a plan is refused with one clear message', () => {
  const r = dadfc('check', join(repoRoot, 'package.json'));
  assert.notEqual(r.code, 0);
  const bogus = join(tempDir(), 'x.plan.json');
  spawnSync('sh', ['-c', `echo '{"format":"nope"}' > ${bogus}`]);
  const refused = dadfc('run', bogus, '--data', data);
  assert.equal(refused.code, 1, refused.err);
  assert.match(refused.err, /not a plan written by dadfc compile/);
  assert.doesNotMatch(refused.err, /\n\s+at .*:\d+:\d+/, 'no stack trace');
});
