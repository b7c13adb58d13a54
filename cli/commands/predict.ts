// dadfc predict RUN INPUT...: per image a raw score, a normalised score and a label (good or
// defective, by the run's validation threshold), and three files under -o DIR: the raw map
// (float32 TIFF), the binary mask (PNG) and an overlay on a fixed scale. Inputs are image
// files, folders (recursive) and glob patterns; images are streamed in batches.
import type { Command } from 'commander';
import { join } from 'node:path';
import { expandInputs } from '../../runtime/inference/inputs.ts';
import { openRun } from '../../runtime/inference/open-run.ts';
import { predictStream, requireDecision, tfjsScorer, type BatchScorer, type Prediction, type PredictSummary } from '../../runtime/inference/predict.ts';
import { parseEngine } from '../../runtime/onnx-engine/engines.ts';
import { silentProgress } from '../../runtime/progress.ts';
import { addRuntimeFlags, startRuntime, type RuntimeFlags } from '../runtime-context.ts';
import { collectSets } from './options.ts';

interface PredictFlags extends RuntimeFlags {
  out?: string;
  engine?: string;
  set: string[];
  threshold?: string;
  pixelThreshold?: string;
  skipBad?: boolean;
}

export function register(program: Command): void {
  addRuntimeFlags(
    program
      .command('predict')
      .description('Label images good or defective with a trained run: raw and normalised score per image, raw map (TIFF), mask and overlay (PNG).')
      .argument('<run>', 'run directory written by dadfc train')
      .argument('<inputs...>', 'image files (PNG, JPEG, BMP, TIFF, WebP), folders (searched recursively) or quoted glob patterns')
      .option('-o, --out <dir>', 'where maps, masks and overlays go, mirroring the inputs (default RUN/predict)')
      .option('--engine <name>', 'tfjs | onnx (onnxruntime-node on the CPU; exports RUN/model.onnx on first use)', 'tfjs')
      .option('--threshold <score>', 'image threshold on the raw score (same as --set score.threshold.image=…)')
      .option('--pixel-threshold <value>', 'pixel threshold on the raw map (same as --set score.threshold.pixel=…)')
      .option('--set <score.key=value>', 'score another way, e.g. --set score.threshold.quantile=0.95 (only score.* keys; repeatable)', collectSets, [])
      .option('--skip-bad', 'accepted for symmetry with train/test: unreadable images are always reported and skipped here'),
  ).action(async (runPath: string, args: string[], flags: PredictFlags) => {
    const engineName = parseEngine(flags.engine);
    const inputs = await expandInputs(args);
    const scoreSets = [...flags.set];
    if (flags.threshold !== undefined) scoreSets.push(`score.threshold.image=${flags.threshold}`);
    if (flags.pixelThreshold !== undefined) scoreSets.push(`score.threshold.pixel=${flags.pixelThreshold}`);
    const ctx = await startRuntime(flags);
    const opened = await openRun(runPath, { scoreSets, cache: ctx.cache, progress: ctx.progress });
    let engine: Awaited<ReturnType<typeof import('../../runtime/onnx-engine/index.ts').OnnxEngine.open>> | undefined;
    try {
      requireDecision(opened);
      if (engineName === 'onnx') engine = await (await import('../../runtime/onnx-engine/index.ts')).OnnxEngine.open(opened, { progress: ctx.progress });
      const onnx = engine;
      const score: BatchScorer = onnx ? (paths) => onnx.scoreImages(paths, { progress: silentProgress, label: 'predict' }) : tfjsScorer(opened);
      const outDir = flags.out ?? join(runPath, 'predict');
      for await (const result of predictStream(opened, inputs, outDir, { score, progress: ctx.progress })) {
        if (flags.json) process.stdout.write(JSON.stringify(result) + '\n');
        else if (result.kind === 'prediction') process.stdout.write(predictionLine(result));
        else if (result.kind === 'summary') {
          ctx.progress.stop();
          process.stdout.write(summaryLine(result));
        }
      }
    } finally {
      ctx.progress.stop();
      await engine?.dispose();
      opened.dispose();
    }
  });
}

function predictionLine(p: Prediction): string {
  return `${p.score.toPrecision(6).padStart(12)}  ${p.normalised.toFixed(3)}  ${p.label.padEnd(9)}  ${p.image}\n`;
}

function summaryLine(s: PredictSummary): string {
  const skipped = s.skipped ? `, ${s.skipped} skipped (unreadable)` : '';
  return `${s.images} images: ${s.good} good, ${s.defective} defective${skipped} (image threshold ${s.imageThreshold.toPrecision(6)}); maps, masks and overlays in ${s.out}\n`;
}
