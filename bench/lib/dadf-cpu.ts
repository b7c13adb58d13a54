// The dadf-cpu pipeline, checked, with `--set key=value` overrides from the command line.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compilePipeline } from '../../compiler/index.ts';
import type { Spec } from '../../compiler/spec.ts';

const args = process.argv.slice(2);

/** Every value given as `--name value` on the command line. */
export const cliOption = (name: string): string[] => args.flatMap((a, i) => (a === `--${name}` ? [args[i + 1]] : []));

export function dadfCpuSpec(sets = cliOption('set')): Spec {
  const compiled = compilePipeline(join(dirname(fileURLToPath(import.meta.url)), '../../pipelines/dadf-cpu.dadf'), { sets });
  if (!compiled.spec) throw new Error(`pipeline does not check: ${compiled.diagnostics.map((d) => d.message).join('; ')}`);
  return compiled.spec;
}
