// dadfc predict RUN IMAGE...: a score per image and a heatmap PNG next to it in -o DIR.
import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../../common/errors.ts';
import { openRun } from '../../runtime/inference/open-run.ts';
import { predict } from '../../runtime/inference/predict.ts';
import { parseEngine } from '../../runtime/onnx-engine/engines.ts';
import { addRuntimeFlags, startRuntime, type RuntimeFlags } from '../runtime-context.ts';

export function register(program: Command): void {
  addRuntimeFlags(
    program
      .command('predict')
      .description('Score images without labels: prints a score per image and writes a heatmap overlay PNG for each.')
      .argument('<run>', 'run directory written by dadfc train')
      .argument('<images...>', 'image files (PNG, JPEG, BMP, TIFF)')
      .option('-o, --out <dir>', 'where heatmaps go (default RUN/predict)')
      .option('--engine <name>', 'tfjs | onnx (onnxruntime-node on the CPU; exports RUN/model.onnx on first use)', 'tfjs'),
  ).action(async (runPath: string, images: string[], flags: RuntimeFlags & { out?: string; engine?: string }) => {
    const engineName = parseEngine(flags.engine);
    for (const image of images) if (!existsSync(image)) throw new UserError('no such image', { where: image, hint: 'give paths of image files' });
    const ctx = await startRuntime(flags);
    const opened = await openRun(runPath, { cache: ctx.cache, progress: ctx.progress });
    const engine = engineName === 'onnx' ? await (await import('../../runtime/onnx-engine/index.ts')).OnnxEngine.open(opened, { progress: ctx.progress }) : undefined;
    try {
      const score = engine ? (paths: string[], label: string) => engine.scoreImages(paths, { progress: ctx.progress, label }) : undefined;
      const results = await predict(opened, images, flags.out ?? join(runPath, 'predict'), { ...ctx, score });
      ctx.progress.stop();
      if (flags.json) for (const r of results) process.stdout.write(JSON.stringify({ kind: 'prediction', ...r }) + '\n');
      else for (const r of results) process.stdout.write(`${r.score.toPrecision(6).padStart(12)}  ${r.image}  → ${r.heatmap}\n`);
    } finally {
      ctx.progress.stop();
      await engine?.dispose();
      opened.dispose();
    }
  });
}
