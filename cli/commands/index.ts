// Every verb of dadfc, each defined in its own file; add a verb by adding one line here.
// Only the module of the verb being run is loaded (startup stays fast: `check` never loads
// TensorFlow.js); help without a verb loads them all.
import type { Command } from 'commander';

type VerbModule = { register(program: Command): void };

const verbs: Record<string, () => Promise<VerbModule>> = {
  check: () => import('./check.ts'),
  compile: () => import('./compile.ts'),
  'print-config': () => import('./print-config.ts'),
  schema: () => import('./schema.ts'),
  eval: () => import('./eval.ts'),
  features: () => import('./features.ts'),
  weights: () => import('./weights.ts'),
  train: () => import('./train.ts'),
  test: () => import('./test.ts'),
  run: () => import('./run.ts'),
  predict: () => import('./predict.ts'),
  sweep: () => import('./sweep.ts'),
  bench: () => import('./bench.ts'),
  worker: () => import('./worker.ts'),
  'run-job': () => import('./run-job.ts'),
  demo: () => import('./demo.ts'),
  export: () => import('./export.ts'),
  lsp: () => import('./lsp.ts'),
};

const VERBS = Object.keys(verbs);

/**
 * One line per verb for `dadfc --help` and for "did you mean", so that listing the verbs loads
 * none of them (several pull in TensorFlow.js). `dadfc VERB --help` shows the verb's own text.
 */
const SUMMARIES: Record<string, string> = {
  check: 'parse, resolve and type/shape-check pipelines; exit 1 on errors',
  compile: 'write DIR/<name>.plan.json and a type-checked DIR/<name>.ts',
  'print-config': 'print the fully resolved pipeline',
  schema: 'print the JSON Schema of pipeline YAML files',
  eval: "score any method's anomaly maps against a data set",
  features: 'run a frozen backbone on images; write .npy features',
  weights: 'inspect backbone weight files',
  train: 'train a pipeline on the good images of a data set',
  test: "score a data set's test split with a trained run; metrics and report",
  run: 'the main job: train (unless trained), then test and report',
  predict: 'score new images with a trained run',
  sweep: 'one run per combination of pipeline keys; a results table',
  bench: 'pipelines × category folders × seeds; a table per category and the mean',
  worker: 'run the jobs that sweep/bench --queue put on a Redis queue',
  demo: 'the embedded default: synthetic data, train, test, report',
  export: 'export a trained run (ONNX)',
  lsp: 'language server for .dadf and pipeline YAML over stdio',
};

export async function registerCommands(program: Command, argv: string[]): Promise<void> {
  const words = argv.filter((a) => !a.startsWith('-'));
  const verb = words[0] === 'help' ? words[1] : words[0];
  if (verb !== undefined && verb in verbs) {
    (await verbs[verb]()).register(program);
    return;
  }
  for (const name of VERBS) {
    if (name in SUMMARIES) program.command(name).summary(SUMMARIES[name]).helpOption(false);
    else (await verbs[name]()).register(program); // a verb without a summary line is loaded
  }
  program.addHelpText('after', '\nRun dadfc VERB --help for the options of a verb.');
}
