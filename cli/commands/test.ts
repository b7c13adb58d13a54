// dadfc test RUN --data DIR: maps, scores, metrics (JSON/CSV) and the HTML report.
import type { Command } from 'commander';
import { join } from 'node:path';
import { openRun } from '../../runtime/inference/open-run.ts';
import { testRun } from '../../runtime/inference/test-run.ts';
import { missingMetricNotes, type EvalResult } from '../../runtime/metrics/index.ts';
import type { ReportDecision } from '../../runtime/report/types.ts';
import { parseEngine } from '../../runtime/onnx-engine/engines.ts';
import { lockRunDir } from '../../runtime/run/lock.ts';
import { collectSets } from './options.ts';
import { addRuntimeFlags, startRuntime, type RuntimeContext, type RuntimeFlags } from '../runtime-context.ts';
import { percent } from '../../common/format.ts';

interface TestFlags extends RuntimeFlags {
  data?: string;
  out?: string;
  skipBad?: boolean;
  engine?: string;
  set?: string[];
}

export function register(program: Command): void {
  addRuntimeFlags(
    program
      .command('test')
      .description("Score a data set's test split with a trained run: maps, metrics (JSON/CSV), HTML report with heatmaps.")
      .argument('<run>', 'run directory written by dadfc train')
      .option('--data <dir>', 'data set (default: the one the run was trained on)')
      .option('-o, --out <dir>', 'output folder (default RUN/test)')
      .option('--skip-bad', 'skip unreadable images (listed) instead of stopping')
      .option(
        '--set <score.key=value>',
        'score the run another way without retraining, e.g. --set score.scales=[3] (only score.* keys; repeatable)',
        collectSets,
        [],
      )
      .option('--engine <name>', 'tfjs | onnx (onnxruntime-node on the CPU; exports RUN/model.onnx on first use)', 'tfjs'),
  ).action(async (runPath: string, flags: TestFlags) => {
    const ctx = await startRuntime(flags);
    try {
      await testCommand(runPath, flags, ctx);
    } finally {
      ctx.progress.stop();
    }
  });
}

export async function testCommand(runPath: string, flags: TestFlags, ctx: RuntimeContext, timings: Record<string, number> = {}) {
  const engineName = parseEngine(flags.engine);
  const scoreSets = flags.set ?? [];
  // Testing writes into the run (run.json, test folders) and must not read a checkpoint being trained.
  const lock = lockRunDir(runPath, 'dadfc test', { existing: true });
  try {
    return await testLocked(runPath, flags, ctx, engineName, scoreSets, timings);
  } finally {
    lock.release();
  }
}

async function testLocked(
  runPath: string,
  flags: TestFlags,
  ctx: RuntimeContext,
  engineName: ReturnType<typeof parseEngine>,
  scoreSets: string[],
  timings: Record<string, number>,
) {
  const opened = await openRun(runPath, { scoreSets, cache: ctx.cache, progress: ctx.progress });
  const engine =
    engineName === 'onnx' ? await (await import('../../runtime/onnx-engine/index.ts')).OnnxEngine.open(opened, { progress: ctx.progress }) : undefined;
  try {
    const result = await testRun(opened, {
      dataDir: flags.data ?? opened.meta.data.root,
      outDir: flags.out ?? join(runPath, scoreSets.length ? `test-${slug(scoreSets)}` : 'test'),
      cache: ctx.cache,
      progress: ctx.progress,
      skipBad: flags.skipBad,
      timings: { ...opened.meta.timings, ...timings },
      backendName: engine ? engine.description : ctx.backend.description,
      score: engine ? (paths, label) => engine.scoreImages(paths, { progress: ctx.progress, label }) : undefined,
    });
    ctx.progress.stop();
    if (flags.json)
      process.stdout.write(
        JSON.stringify({ kind: 'result', metrics: withoutCurves(result.metrics), decision: result.decision ?? null, report: result.reportPath }) + '\n',
      );
    else {
      process.stdout.write(metricsTable(result.metrics, opened.backbone.label) + '\n');
      if (result.decision) process.stdout.write(decisionLines(result.decision) + '\n');
      process.stdout.write(`report: ${result.reportPath}\n`);
    }
    return result;
  } finally {
    await engine?.dispose();
    opened.dispose();
  }
}

/** `score.scales=[3]`, `score.fuse=max` → `scales-3_fuse-max`: a folder name per scoring. */
function slug(sets: string[]): string {
  return sets
    .map((s) =>
      s
        .replace(/^score\./, '')
        .replace(/[^A-Za-z0-9]+/g, '-')
        .replace(/^-|-$/g, ''),
    )
    .join('_');
}

export function withoutCurves(m: EvalResult) {
  const { curves: _curves, ...rest } = m;
  return rest;
}

const pct = (v: number | null | undefined) => percent(v).padStart(6);

/** The thresholds and what they give on the test split (counts only; nothing is chosen here). */
export function decisionLines(d: ReportDecision): string {
  const line = (level: string, t: ReportDecision['pixel']) => {
    const c = t.confusion;
    const counts = c
      ? `TP ${c.tp}  FP ${c.fp}  TN ${c.tn}  FN ${c.fn}  accuracy ${pct((c.tp + c.tn) / (c.tp + c.tn + c.fp + c.fn)).trim()} %`
      : 'no masks to count';
    return `${level} threshold ${t.threshold.toPrecision(6)} (${t.source}); on the test split: ${counts}`;
  };
  return [line('image', d.image), line('pixel', d.pixel)].join('\n');
}

export function metricsTable(m: EvalResult, backboneLabel: string): string {
  const rows = [['overall', m] as const, ...Object.entries(m.per_type).map(([k, v]) => [k, v] as const)];
  const head = `${'defect type'.padEnd(18)} images  img AUROC  px AUROC   AUPRO  F1 img  F1 px`;
  const lines = rows.map(
    ([name, s]) =>
      `${name.padEnd(18)} ${String(s.n_images).padStart(6)}  ${pct(s.image_auroc)}    ${pct(s.pixel_auroc)}  ${pct(s.aupro)}  ${pct(s.f1_max_image)} ${pct(s.f1_max_pixel)}`,
  );
  return [`backbone: ${backboneLabel}`, head, '-'.repeat(head.length), ...lines, ...missingMetricNotes(m)].join('\n');
}
