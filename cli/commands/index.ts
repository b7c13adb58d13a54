// Every verb of dadfc, each defined in its own file; add a verb by adding one line here.
// Only the module of the verb being run is loaded (startup stays fast: `check` never loads
// TensorFlow.js); help without a verb loads them all.
import type { Command } from 'commander';

type VerbModule = { register(program: Command): void };

const verbs: Record<string, () => Promise<VerbModule>> = {
  'check': () => import('./check.ts'),
  'compile': () => import('./compile.ts'),
  'print-config': () => import('./print-config.ts'),
  'schema': () => import('./schema.ts'),
  'eval': () => import('./eval.ts'),
  'features': () => import('./features.ts'),
  'weights': () => import('./weights.ts'),
  'train': () => import('./train.ts'),
  'test': () => import('./test.ts'),
  'run': () => import('./run.ts'),
  'predict': () => import('./predict.ts'),
  'sweep': () => import('./sweep.ts'),
  'demo': () => import('./demo.ts'),
  'export': () => import('./export.ts'),
  'lsp': () => import('./lsp.ts'),
};

export const VERBS = Object.keys(verbs);

export async function registerCommands(program: Command, argv: string[]): Promise<void> {
  const verb = argv.find((a) => !a.startsWith('-'));
  const chosen = verb !== undefined && verb in verbs ? [verb] : VERBS;
  for (const name of chosen) (await verbs[name]()).register(program);
}
