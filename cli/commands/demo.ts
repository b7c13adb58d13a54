// dadfc demo: the embedded default, offline. Generates a seeded synthetic defect data set
// (MVTec layout), trains and tests pipelines/demo.dadf (or --pipeline) on it with the bundled
// pretrained backbone, prints the metrics, writes the report, and says what to try next. Where
// the weights are missing it runs on a random backbone and says so.
import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { packageRoot } from '../../compiler/package-root.ts';
import { compilePipeline, hasErrors } from '../../compiler/index.ts';
import { toDadf } from '../../compiler/print.ts';
import { UserError } from '../../common/errors.ts';
import { trainAndTest } from '../../runtime/inference/job.ts';
import { generateSyntheticDataset } from '../../runtime/synth/index.ts';
import { printDiagnostics } from '../diagnostics.ts';
import { addRuntimeFlags, startRuntime, type RuntimeFlags } from '../runtime-context.ts';
import { metricsTable } from './test.ts';

export const DEMO_PIPELINE = join(packageRoot(), 'pipelines', 'demo.dadf');
const DEMO_IMAGE_SIZE = 256;

interface DemoFlags extends RuntimeFlags {
  out: string;
  pipeline: string;
  seed: string;
  category: string;
  size?: string;
  random?: boolean;
}

export function register(program: Command): void {
  addRuntimeFlags(
    program
      .command('demo')
      .description(
        'The main job on the embedded default: make a synthetic defect data set, train and test pipelines/demo.dadf on it, print metrics, write the report.',
      )
      .option('-o, --out <dir>', 'where the data set and the run go', 'dadf-demo')
      .option('--pipeline <file>', 'the pipeline to demonstrate (e.g. pipelines/demo-dadf.dadf: the DADF model itself)', DEMO_PIPELINE)
      .option('--seed <n>', 'seed of the data set and the training', '0')
      .option('--category <name>', 'synthetic category: carpet, wood, grid, noise, bottle, screw, nut', 'carpet')
      .option('--random', 'use a random backbone even when pretrained weights are available'),
  ).action(async (flags: DemoFlags) => {
    await demoCommand(flags);
  });
}

export async function demoCommand(flags: DemoFlags): Promise<void> {
  const seed = Number(flags.seed);
  if (!Number.isInteger(seed) || seed < 0) throw new UserError(`--seed must be a non-negative integer, got '${flags.seed}'`, { where: '--seed', exitCode: 2 });
  const started = performance.now();
  const ctx = await startRuntime(flags);
  const say = (message: string) => ctx.progress({ kind: 'log', level: 'info', message });

  // The pipeline, with pretrained weights when they are here, else a random backbone.
  let sets = [`train.seed=${seed}`];
  const pipelineFile = flags.pipeline;
  if (!existsSync(pipelineFile))
    throw new UserError('no such pipeline file', { where: pipelineFile, hint: 'give a .dadf or .yaml pipeline, e.g. pipelines/demo-dadf.dadf' });
  let compiled = compilePipeline(pipelineFile, { sets });
  if (!flags.random && compiled.spec && !(compiled.weights?.exists ?? false)) {
    ctx.progress({
      kind: 'log',
      level: 'warn',
      message: `no pretrained MobileNetV1 weights found${compiled.weights?.path ? ` at ${compiled.weights.path}` : ''}: the demo runs on a RANDOM backbone, which scores far lower. For real features: export ${compiled.weights?.envName ?? 'DADF_MOBILENET_V1_025_WEIGHTS'}=path/to/mobilenet_v1_0.25_224/model.json (see docs/backbones.md)`,
    });
  }
  if (flags.random || !(compiled.weights?.exists ?? false)) {
    sets = [...sets, 'backbone.random=true'];
    compiled = compilePipeline(pipelineFile, { sets });
  }
  if (hasErrors(compiled.diagnostics) || !compiled.spec) {
    printDiagnostics(compiled.diagnostics, compiled.texts);
    throw new UserError('the demo pipeline does not check', { where: pipelineFile, hint: `fix it and run again (dadfc check ${pipelineFile})` });
  }
  const spec = compiled.spec;

  const dataDir = join(flags.out, 'data', flags.category);
  if (!existsSync(join(dataDir, 'synthetic.json'))) {
    say(`generating a synthetic '${flags.category}' data set (seed ${seed}) in ${dataDir}`);
    // One set for every demo pipeline (256 px images, resized to each pipeline's input size), so
    // their results compare.
    const made = await generateSyntheticDataset({
      dir: dataDir,
      seed,
      category: flags.category,
      size: DEMO_IMAGE_SIZE,
      trainCount: 60,
      testGoodCount: 12,
      testPerDefect: 6,
    });
    say(
      Object.entries(made.counts)
        .filter(([k]) => !k.startsWith('ground_truth'))
        .map(([k, v]) => `${k} ${v}`)
        .join(', '),
    );
  } else {
    say(`using the synthetic data set in ${dataDir}`);
  }

  const runDir = join(flags.out, 'runs', `${spec.name}-${flags.category}-seed${seed}${spec.backbone.random ? '-random' : ''}`);
  try {
    const { test: tested, backboneLabel } = await trainAndTest({
      spec,
      pipelineText: toDadf(spec),
      pipelineFile,
      weightsPath: compiled.weights?.exists ? compiled.weights.path : undefined,
      dataDir,
      runDir,
      backendName: ctx.backend.description,
      cache: ctx.cache,
      progress: ctx.progress,
    });
    ctx.progress.stop();
    const minutes = (performance.now() - started) / 60000;
    process.stdout.write(`\n${metricsTable(tested.metrics, backboneLabel)}\n\n`);
    process.stdout.write(`report:  ${tested.reportPath}\nrun:     ${runDir}   (${minutes.toFixed(1)} min in all)\n\n`);
    process.stdout.write(
      [
        `Pipeline: ${relative(process.cwd(), pipelineFile)}. The data set: ${dataDir}.`,
        'Next:',
        `  npx dadfc predict ${runDir} ${join(dataDir, 'test')}     # label new images (folders, files or globs)`,
        `  npx dadfc demo --pipeline ${join('pipelines', 'demo-dadf.dadf')}     # the DADF model itself on the same data`,
        '  npx dadfc run pipelines/dadf-cpu.dadf --data path/to/good-images   # your own images, good ones are enough (docs/your-data.md)',
        '  npx dadfc check pipelines/*.dadf                                    # edit a pipeline, then check it',
        '',
      ].join('\n'),
    );
  } finally {
    ctx.progress.stop();
  }
}
