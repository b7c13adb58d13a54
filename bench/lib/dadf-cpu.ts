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

/** The two sizes of issue 19's side-by-side bench: dadf-cpu, and the reference's "lite" (α1.0 at 256 px). */
export type PeerSize = 'cpu' | 'lite';
export const PEER_SIZES: Record<PeerSize, { title: string; alpha: string; sets: string[] }> = {
  cpu: { title: 'dadf-cpu (MobileNetV1 α0.25, 128 px, width 3×64, depth 2, mlp 2, 64 memory tokens, 4 flow steps)', alpha: '0.25', sets: [] },
  lite: {
    title: 'lite (MobileNetV1 α1.0, 256 px, width 3×64, depth 4, mlp 4, 256 memory tokens, 4 flow steps)',
    alpha: '1.0',
    sets: ['backbone.alpha=1.0', 'input.size=256', 'transformer.depth=4', 'transformer.mlp_ratio=4', 'transformer.memory.tokens=256'],
  },
};
