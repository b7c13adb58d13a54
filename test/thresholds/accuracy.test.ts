// Real data, end to end: dadf-cpu (bundled ImageNet MobileNetV1 α0.25) trained as shipped on a
// category, its thresholds learned on the good-only validation split, then `predict` over the
// category's test folder. The labels must match the truth (test/good = good, every other
// folder = defective) at least as often as measured when this test was written, and the ONNX
// engine must give the same labels. Skipped when ../shared has no such data.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { checkLabels } from '../../bench/lib/folder-truth.ts';
import { compilePipeline } from '../../compiler/index.ts';
import { toDadf } from '../../compiler/print.ts';
import { initBackend } from '../../runtime/backend.ts';
import { FeatureCache } from '../../runtime/features/index.ts';
import { expandInputs } from '../../runtime/inference/inputs.ts';
import { openRun } from '../../runtime/inference/open-run.ts';
import { predictStream, tfjsScorer, type BatchScorer, type Prediction } from '../../runtime/inference/predict.ts';
import { OnnxEngine } from '../../runtime/onnx-engine/index.ts';
import { silentProgress } from '../../runtime/progress.ts';
import { train } from '../../runtime/train/trainer.ts';
import { pipelinesDir, repoRoot, tempDir } from '../compiler/helpers.ts';

const shared = process.env.DADF_SHARED ?? resolve(repoRoot, '../shared');

interface Case {
  name: string;
  data: string;
  /** The accuracy measured when the test was written (docs/thresholds.md), less a margin for backends. */
  minAccuracy: number;
}

async function predictAll(opened: Awaited<ReturnType<typeof openRun>>, folder: string, score: BatchScorer): Promise<Prediction[]> {
  const out: Prediction[] = [];
  for await (const r of predictStream(opened, await expandInputs([folder]), tempDir(), { score, progress: silentProgress }))
    if (r.kind === 'prediction') out.push(r);
  return out;
}

async function labelsTestImages(t: TestContext, c: Case): Promise<void> {
  if (!existsSync(c.data)) return t.skip(`${c.data} is absent; set DADF_SHARED to run this test`);
  await initBackend('wasm');
  const compiled = compilePipeline(join(pipelinesDir, 'dadf-cpu.dadf'));
  assert.ok(compiled.spec, JSON.stringify(compiled.diagnostics));
  const runDir = join(tempDir(), 'run');
  const cache = FeatureCache.open({ dir: null });
  const trained = await train({
    spec: compiled.spec,
    pipelineText: toDadf(compiled.spec),
    dataDir: c.data,
    runDir,
    backendName: 'test',
    cache,
    progress: silentProgress,
    weightsPath: compiled.weights?.exists ? compiled.weights.path : undefined,
  });
  trained.model?.dispose();
  trained.backbone.dispose();
  const opened = await openRun(runDir, { cache });
  try {
    assert.equal(opened.thresholds?.rule, 'quantile', 'good-only validation: the quantile rule');
    const predictions = await predictAll(opened, join(c.data, 'test'), tfjsScorer(opened));
    const { correct, accuracy } = checkLabels(predictions);
    t.diagnostic(`${c.name}: ${correct}/${predictions.length} test images labelled right (accuracy ${(100 * accuracy).toFixed(1)} %)`);
    assert.ok(accuracy >= c.minAccuracy, `${c.name}: accuracy ${accuracy} < ${c.minAccuracy}`);
    const engine = await OnnxEngine.open(opened);
    try {
      const onnx = await predictAll(opened, join(c.data, 'test'), (paths) => engine.scoreImages(paths, { progress: silentProgress, label: 'onnx' }));
      assert.deepEqual(
        onnx.map((p) => p.label),
        predictions.map((p) => p.label),
        'ONNX labels equal tfjs labels',
      );
    } finally {
      await engine.dispose();
    }
  } finally {
    opened.dispose();
  }
}

// Measured: 21 of 23 (91.3 %): all 17 defective images, 4 of 6 good ones (threshold from 3
// validation images). Shorter training (4 + 8 epochs) labelled every image defective (74 %).
test('hazelnut_toy: dadf-cpu labels the test images by its validation threshold', (t) =>
  labelsTestImages(t, { name: 'hazelnut_toy', data: join(shared, 'data/hazelnut_toy'), minAccuracy: 0.82 }));
