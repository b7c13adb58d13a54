// Data and CLI plumbing for the batch tests: a root of small synthetic categories, and
// dadfc as a child process with its output collected.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { generateSyntheticDataset } from '../../runtime/synth/index.ts';
import { repoRoot } from '../compiler/helpers.ts';

/** ROOT/bottle and ROOT/noise: 64 px, 8 good training images, 7 test images each. */
export async function twoCategories(root: string): Promise<void> {
  for (const [category, seed] of [
    ['bottle', 3],
    ['noise', 4],
  ] as const) {
    await generateSyntheticDataset({
      dir: join(root, category),
      seed,
      category,
      size: 64,
      trainCount: 8,
      testGoodCount: 3,
      testPerDefect: 2,
      defects: ['color'],
    });
  }
}

export interface Started {
  child: ChildProcess;
  out(): string;
  err(): string;
  exited: Promise<number | null>;
}

export function dadfc(args: string[]): Started {
  const child = spawn(process.execPath, [join(repoRoot, 'bin/dadfc.js'), ...args], {
    cwd: repoRoot,
    env: { ...process.env, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const exited = once(child, 'close').then(([code]) => code as number | null);
  return { child, out: () => out, err: () => err, exited };
}

/** Short trainings for tests. */
export const SHORT = (reconstruct: number, flow: number) => [
  '--set',
  `train.stages.reconstruct.epochs=${reconstruct}`,
  '--set',
  `train.stages.flow.epochs=${flow}`,
];

export const csvLines = (text: string) => text.trim().split('\n');
