// Rules on training: losses each stage has, stages that train something, sweep keys that exist.
import { LOSSES, PipelineSpec } from '../spec.ts';
import { closest, didYouMean } from '../suggest.ts';
import type { Rule } from './context.ts';

export const stageLoss: Rule = {
  code: 'DADF4010',
  severity: 'error',
  title: 'a loss the stage does not have',
  check({ spec, at }, report) {
    for (const name of ['reconstruct', 'flow'] as const) {
      const stage = spec.train.stages[name];
      const allowed: readonly string[] = LOSSES[name];
      // The schema admits any name (see stageSpec); this rule narrows it to the stage's losses.
      if (stage?.loss === undefined || allowed.includes(stage.loss)) continue;
      const hint = didYouMean(stage.loss, allowed);
      report(
        `stage ${name} has no loss '${stage.loss}'${hint ? `; ${hint}` : ''}`,
        at(['train', 'stages', name, 'loss']),
        `losses of stage ${name}: ${allowed.join(', ')}`,
      );
    }
  },
};

export const sweepKey: Rule = {
  code: 'DADF4011',
  severity: 'error',
  title: 'a sweep key that is not a key of the pipeline',
  check({ spec, at }, report) {
    for (const key of Object.keys(spec.sweep ?? {})) {
      if (schemaHasPath(key.split('.'))) continue;
      const all = allSchemaPaths();
      const last = closest(key.split('.').pop() ?? key, all);
      const hint = didYouMean(key, all) || (last ? `did you mean '${last}'?` : '');
      report(`sweep key '${key}' is not a key of the pipeline${hint ? `; ${hint}` : ''}`, at(['sweep', key], 'key'));
    }
  },
};

export const noStages: Rule = {
  code: 'DADF4015',
  severity: 'warning',
  model: true,
  title: 'nothing trained, or flows scored without a flow stage',
  check({ spec, at }, report) {
    const stages = spec.train.stages;
    if (!stages.reconstruct && !stages.flow) {
      report('train has no stages; nothing will be trained', at(['train'], 'key'), "add 'stage reconstruct { epochs: N }' and 'stage flow { epochs: N }'");
    } else if (!stages.flow && spec.score.source === 'flow') {
      report('score.source is flow but there is no flow stage; the flows stay untrained', at(['train'], 'key'));
    }
  },
};

interface SchemaLike {
  properties?: Record<string, SchemaLike>;
}

function schemaHasPath(path: string[]): boolean {
  let node: SchemaLike | undefined = PipelineSpec as SchemaLike;
  for (const k of path) {
    node = node?.properties?.[k];
    if (!node) return false;
  }
  return true;
}

let cachedPaths: string[] | undefined;
function allSchemaPaths(): string[] {
  if (cachedPaths) return cachedPaths;
  const out: string[] = [];
  const walk = (node: SchemaLike, prefix: string[]) => {
    for (const [k, v] of Object.entries(node.properties ?? {})) {
      out.push([...prefix, k].join('.'));
      walk(v, [...prefix, k]);
    }
  };
  walk(PipelineSpec as SchemaLike, []);
  cachedPaths = out;
  return out;
}
