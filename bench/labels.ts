// Labels of a trained run against the truth of a labelled test folder (`good/` = good, any other
// folder = defective), three ways: `dadfc predict RUN DIR --json` (tfjs), the same with
// `--engine onnx`, and the file `dadfc export RUN -o FILE.onnx` writes, run directly through
// onnxruntime-node and read from its own `labels` output. Prints accuracy and confusion counts
// per way and how often the ONNX labels equal the tfjs labels.
// Usage: node --import tsx bench/labels.ts RUN TEST_DIR
//   e.g. node --import tsx bench/labels.ts runs/bottle ../shared/data/mvtec_ad/bottle/test
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import type { Spec } from '../compiler/spec.ts';
import { readImageRgb } from '../runtime/data/index.ts';
import { expandInputs } from '../runtime/inference/inputs.ts';
import type { Prediction } from '../runtime/inference/predict.ts';
import { resizeFilter } from '../runtime/train/features.ts';
import { agreement, checkLabels, predictionLines } from './lib/folder-truth.ts';
import { repoRoot } from '../test/compiler/helpers.ts';

const [runDir, testDir] = process.argv.slice(2);
if (!runDir || !testDir) {
  console.error('usage: node --import tsx bench/labels.ts RUN TEST_DIR');
  process.exit(2);
}
const scratch = mkdtempSync(join(tmpdir(), 'dadf-labels-'));

function dadfc(...args: string[]): string {
  const started = performance.now();
  const r = spawnSync(process.execPath, [join(repoRoot, 'bin/dadfc.js'), ...args], { encoding: 'utf8', maxBuffer: 2 ** 30 });
  if (r.status !== 0) {
    console.error(r.stderr);
    throw new Error(`dadfc ${args.join(' ')} failed (exit ${r.status})`);
  }
  console.error(`dadfc ${args.join(' ')}: ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return r.stdout;
}

/** The exported file alone: pixels resized as the run's pipeline says, labels from the graph. */
async function exportedLabels(): Promise<Prediction[]> {
  const file = join(scratch, 'exported.onnx');
  const summary = JSON.parse(dadfc('export', runDir, '-o', file, '--json').trim().split('\n').at(-1) ?? '{}') as { inputSize: number };
  const spec = JSON.parse(readFileSync(join(runDir, 'spec.json'), 'utf8')) as Spec;
  const session = await ort.InferenceSession.create(file, { executionProviders: ['cpu'] });
  const S = summary.inputSize;
  const out: Prediction[] = [];
  for (const input of await expandInputs([testDir])) {
    const pixels = await readImageRgb(input.path, S, resizeFilter(spec));
    const r = await session.run({ images: new ort.Tensor('float32', pixels, [1, S, S, 3]) });
    if (!r.labels) throw new Error(`${file} has no labels output: the run has no thresholds`);
    const score = (r.scores.data as Float32Array)[0];
    const label = r.labels.data[0] ? 'defective' : 'good';
    out.push({ kind: 'prediction', image: input.path, id: input.id, score, normalised: Number.NaN, label, map: '', mask: '', overlay: '' });
  }
  await session.release();
  return out;
}

try {
  const ways: Record<string, Prediction[]> = {
    tfjs: predictionLines(dadfc('predict', runDir, testDir, '--json', '-o', join(scratch, 'tfjs'))),
    'onnx engine': predictionLines(dadfc('predict', runDir, testDir, '--json', '--engine', 'onnx', '-o', join(scratch, 'onnx'))),
    'exported file': await exportedLabels(),
  };
  console.log(`${runDir} on ${testDir}`);
  console.log('way             images  accuracy     TP   FP   TN   FN  same labels as tfjs  max |Δ score|');
  for (const [name, predictions] of Object.entries(ways)) {
    const { confusion: c, correct, accuracy } = checkLabels(predictions);
    const same = agreement(ways.tfjs, predictions);
    console.log(
      `${name.padEnd(14)}  ${String(predictions.length).padStart(6)}  ${(100 * accuracy).toFixed(1).padStart(5)} % (${correct})`.padEnd(40) +
        [c.tp, c.fp, c.tn, c.fn].map((v) => String(v).padStart(4)).join(' ') +
        `  ${`${same.same}/${same.of}`.padStart(19)}  ${same.maxScoreDelta.toExponential(1).padStart(13)}`,
    );
  }
  const wrong = checkLabels(ways.tfjs).wrong;
  if (wrong.length) console.log(`labelled wrong by tfjs: ${wrong.map((w) => relative(resolve(testDir), w)).join(', ')}`);
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
