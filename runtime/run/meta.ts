// run.json's schema (TypeBox, like the pipeline's Spec): what a run directory's metadata holds,
// checked when it is read so that a hand-edited or half-written file is refused with the
// first thing that is wrong instead of failing later on a missing field.
import { type Static, Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import type { LearnedThresholds } from '../thresholds/rules.ts';

const Stage = Type.Union([Type.Literal('reconstruct'), Type.Literal('flow')]);
const Count = Type.Integer({ minimum: 0 });

const EpochRecord = Type.Object({
  stage: Stage,
  epoch: Count,
  loss: Type.Number(),
  valLoss: Type.Union([Type.Number(), Type.Null()]),
  seconds: Type.Number(),
  imagesPerSec: Type.Number(),
});
export type EpochRecord = Static<typeof EpochRecord>;

const ScaleCalibration = Type.Array(Type.Object({ scale: Count, mean: Type.Number(), std: Type.Number() }));

const Rule = Type.Union([Type.Literal('quantile'), Type.Literal('f1_max')]);
const LearnedThresholdsSchema = Type.Unsafe<LearnedThresholds>(
  Type.Object({
    rule: Rule,
    quantile: Type.Number(),
    image: Type.Number(),
    pixel: Type.Number(),
    pixelRule: Rule,
    imageSpread: Type.Number(),
    pixelSpread: Type.Number(),
    validation: Type.Object({ good: Count, anomalous: Count }),
  }),
);

const RunMetaSchema = Type.Object({
  format: Type.Literal('dadf-run'),
  version: Type.Literal(1),
  name: Type.String(),
  created: Type.String(),
  updated: Type.String(),
  pipelineFile: Type.Optional(Type.String()),
  backbone: Type.Object({
    id: Type.String(),
    label: Type.String(),
    pretrained: Type.Boolean(),
    arch: Type.String(),
    alpha: Type.Number(),
    weights: Type.Optional(Type.String()),
  }),
  data: Type.Object({
    root: Type.String(),
    layout: Type.String(),
    fingerprint: Type.String(),
    train: Count,
    validation: Count,
    validationIds: Type.Array(Type.String()),
  }),
  backend: Type.String(),
  seed: Count,
  status: Type.Union([Type.Literal('training'), Type.Literal('trained'), Type.Literal('failed')]),
  /** The next thing to do: the stage and how many of its epochs are finished. */
  progress: Type.Object({ stage: Type.Union([Stage, Type.Literal('done')]), epochsDone: Count }),
  history: Type.Array(EpochRecord),
  timings: Type.Record(Type.String(), Type.Number()),
  /** Peak resident memory (MiB) of the process that finished training. */
  peakRssMiB: Type.Optional(Type.Number()),
  failure: Type.Optional(Type.String()),
  /** Per-scale map statistics on the validation split, keyed by the score settings they depend on (see train/calibration.ts). */
  calibrations: Type.Optional(Type.Record(Type.String(), ScaleCalibration)),
  /** Image and pixel thresholds learned on the validation split, keyed by the score settings (see thresholds/learn.ts). */
  thresholds: Type.Optional(Type.Record(Type.String(), LearnedThresholdsSchema)),
  /** Per scored head, its map's statistics on the validation split, when score.heads combines several (see heads/detector.ts). */
  headCalibrations: Type.Optional(Type.Record(Type.String(), Type.Array(Type.Object({ head: Type.String(), mean: Type.Number(), std: Type.Number() })))),
  /** What fitting each head cost (seconds, bytes of its state). */
  heads: Type.Optional(
    Type.Record(
      Type.String(),
      Type.Object({
        seconds: Type.Number(),
        bytes: Type.Number(),
        shrinkage: Type.Optional(Type.Number()),
        entries: Type.Optional(Type.Number()),
        patches: Type.Optional(Type.Number()),
      }),
    ),
  ),
});
export type RunMeta = Static<typeof RunMetaSchema>;

/** The parsed run.json when it fits the schema, else the first problem as `path: message`. */
export function checkRunMeta(value: unknown): { meta: RunMeta } | { problem: string } {
  if (Value.Check(RunMetaSchema, value)) return { meta: value };
  const first = Value.Errors(RunMetaSchema, value).First();
  return { problem: first ? `${first.path || '/'}: ${first.message}` : 'does not match the run schema' };
}
