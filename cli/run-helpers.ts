// Small decisions shared by train/test/run/sweep.
import { basename, join, resolve } from 'node:path';
import type { Compiled } from '../compiler/index.ts';
import { UserError } from '../common/errors.ts';

/** runs/<pipeline>-<data folder name>. */
export function defaultRunDir(pipeline: string, dataDir: string): string {
  return join('runs', `${pipeline}-${basename(resolve(dataDir))}`);
}

/** The weights file a pretrained backbone needs, or a clear error saying how to get one. */
export function weightsPathFor(compiled: Compiled): string | undefined {
  const spec = compiled.spec!;
  if (spec.backbone.random) return undefined;
  const loc = compiled.weights;
  if (loc?.path && loc.exists) return loc.path;
  const env = loc?.envName ? `set ${loc.envName}=path/to/weights, or ` : '';
  throw new UserError(`the ${spec.backbone.arch} weights are not available${loc?.path ? ` (looked at ${loc.path})` : ''}`, {
    where: 'backbone.weights',
    hint: `${env}point backbone.weights at a weights file (docs/backbones.md); --set backbone.random=true trains on random features (far worse, labelled as such)`,
  });
}
