// Every verb of dadfc, each defined in its own file; add a verb by adding one line here.
import type { Command } from 'commander';
import { register as check } from './check.ts';
import { register as compile } from './compile.ts';
import { register as printConfig } from './print-config.ts';
import { register as schema } from './schema.ts';
import { register as evalMaps } from './eval.ts';
import { register as features } from './features.ts';
import { register as weights } from './weights.ts';
import { register as train } from './train.ts';
import { register as test } from './test.ts';
import { register as run } from './run.ts';
import { register as predict } from './predict.ts';
import { register as lsp } from './lsp.ts';
import { register as sweep } from './sweep.ts';
import { register as demo } from './demo.ts';

const registrations: Array<(program: Command) => void> = [check, compile, printConfig, schema, evalMaps, features, weights, train, test, run, predict, sweep, demo, lsp];

export function registerCommands(program: Command): void {
  for (const register of registrations) register(program);
}
