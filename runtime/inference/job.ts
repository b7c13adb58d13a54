// The main job as one call: train a run (resuming it if it was stopped; a finished run is
// left as it is), then test it on the data set's test split.
import { join } from 'node:path';
import { disposeHeads } from '../heads/index.ts';
import { lockRunDir } from '../run/lock.ts';
import { train, type TrainOptions } from '../train/trainer.ts';
import { openRun } from './open-run.ts';
import { testRun, type TestResult } from './test-run.ts';

export interface JobResult {
  test: TestResult;
  backboneLabel: string;
  trainSeconds: number;
}

export async function trainAndTest(options: Omit<TrainOptions, 'resume'>): Promise<JobResult> {
  const lock = lockRunDir(options.runDir, 'dadfc job (train + test)');
  try {
    return await trainAndTestLocked(options);
  } finally {
    lock.release();
  }
}

async function trainAndTestLocked(options: Omit<TrainOptions, 'resume'>): Promise<JobResult> {
  const started = performance.now();
  const trained = await train({ ...options, resume: true });
  trained.model?.dispose();
  disposeHeads(trained.heads);
  trained.backbone.dispose();
  const trainSeconds = (performance.now() - started) / 1000;
  const opened = await openRun(options.runDir, { cache: options.cache, progress: options.progress });
  try {
    const test = await testRun(opened, {
      dataDir: options.dataDir,
      outDir: join(options.runDir, 'test'),
      cache: options.cache,
      progress: options.progress,
      backendName: options.backendName,
      timings: opened.meta.timings,
      skipBad: options.skipBad,
    });
    return { test, backboneLabel: opened.backbone.label, trainSeconds };
  } finally {
    opened.dispose();
  }
}
