// dadfc export RUN --format onnx -o FILE.onnx: the whole inference graph of a trained run
// (pixels → backbone → transformer → flows → maps and scores) with its weights, opset 17.
import type { Command } from 'commander';
import { UserError } from '../../common/errors.ts';
import { initBackend } from '../../runtime/backend.ts';
import { exportRun, ONNX_OPSET, type BatchSize } from '../../runtime/export/index.ts';
import { collectSets } from './options.ts';

interface ExportFlags {
  format: string;
  out?: string;
  batch: string;
  json?: boolean;
  set: string[];
}

function parseBatch(value: string): BatchSize {
  if (value === 'dynamic') return 'dynamic';
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new UserError(`--batch must be a positive integer or "dynamic", got ${value}`, { where: '--batch', exitCode: 2 });
  return n;
}

export function register(program: Command): void {
  program
    .command('export')
    .description(
      'Export a trained run as one ONNX graph: images [B, S, S, 3] float32 0..255 (NHWC) → maps, scores, normalised scores, labels and masks (opset 17).',
    )
    .argument('<run>', 'run directory written by dadfc train')
    .option('--format <format>', 'export format (onnx)', 'onnx')
    .option('-o, --out <file>', 'the .onnx file to write (default RUN/model.onnx)')
    .option('--batch <n>', 'a fixed batch size, or "dynamic"', 'dynamic')
    .option('--set <score.key=value>', 'export another scoring, e.g. --set score.threshold.image=2.5 (only score.* keys; repeatable)', collectSets, [])
    .option('--json', 'print the summary as JSON')
    .action(async (runPath: string, flags: ExportFlags) => {
      if (flags.format !== 'onnx') throw new UserError(`unknown export format ${flags.format}`, { where: '--format', hint: 'formats: onnx', exitCode: 2 });
      const batch = parseBatch(flags.batch);
      // Export only reads weights and folds BatchNorm: the plain JS backend is enough.
      await initBackend('cpu');
      const file = flags.out ?? `${runPath.replace(/[\\/]+$/, '')}/model.onnx`;
      const summary = await exportRun(runPath, file, { batch, scoreSets: flags.set });
      if (flags.json) {
        process.stdout.write(JSON.stringify({ kind: 'export', opset: ONNX_OPSET, ...summary }) + '\n');
        return;
      }
      const b = summary.batch === 'dynamic' ? 'batch' : summary.batch;
      const S = summary.inputSize;
      process.stdout.write(
        [
          `wrote ${summary.file} (${(summary.fileBytes / 2 ** 20).toFixed(2)} MiB, ${summary.nodes} nodes, ${summary.initializers} initializers, opset ${ONNX_OPSET})`,
          `  input  images  float32 [${b}, ${S}, ${S}, 3]  RGB 0..255, NHWC, resized to ${S}×${S}`,
          `  output maps    float32 [${b}, ${S}, ${S}]     higher = more anomalous`,
          `  output scores  float32 [${b}]`,
          ...(summary.decision
            ? [
                `  output normalised_scores float32 [${b}], labels bool [${b}], normalised_maps float32 [${b}, ${S}, ${S}], masks bool [${b}, ${S}, ${S}]`,
                `  image threshold ${summary.decision.image.toPrecision(6)} (${summary.decision.imageSource}), pixel threshold ${summary.decision.pixel.toPrecision(6)} (${summary.decision.pixelSource}); in the model's metadata`,
              ]
            : ['  no thresholds (the run has no validation split): no labels or masks in the graph']),
        ].join('\n') + '\n',
      );
    });
}
