// Preparation of a training run: the data set, its train/validation split, the frozen backbone
// and the features of every image (from the cache when they are there). Nothing is written to
// the run directory here.
import { hashBytes } from '../../formats/index.ts';
import { modelDims, type ModelDims } from '../../compiler/dims.ts';
import { loadBackbone, type Backbone } from '../backbones/index.ts';
import { loadDataset, trainValidationSplit, type Dataset, type Sample } from '../data/index.ts';
import { checkSplitSizes } from './split-sizes.ts';
import { extractFeatures, type ScaleFeatures } from './features.ts';
import type { TrainOptions } from './trainer.ts';

export interface Prepared {
  dims: ModelDims;
  dataset: Dataset;
  trainSamples: Sample[];
  validation: Sample[];
  backbone: Backbone;
  trainSet: ScaleFeatures;
  valSet: ScaleFeatures;
  featureSeconds: number;
  /** The content of the training and validation images, whatever their names or order. */
  fingerprint: string;
}

export async function prepareTraining(options: TrainOptions): Promise<Prepared> {
  const { spec, progress } = options;
  const dims = modelDims(spec);
  const dataset = await loadDataset(options.dataDir, { skipBad: options.skipBad });
  for (const s of dataset.skipped) progress({ kind: 'log', level: 'warn', message: `skipped ${s.path}: ${s.reason}` });
  const { train: trainSamples, validation } = trainValidationSplit(dataset, spec.train.validation, spec.train.seed);
  checkSplitSizes(spec, { train: trainSamples.length, validation: validation.length, ownValidation: dataset.validation.length > 0 }, dataset.root);

  const backbone = await loadBackbone({
    arch: spec.backbone.arch,
    alpha: spec.backbone.alpha,
    weights: spec.backbone.random ? undefined : options.weightsPath,
    random: spec.backbone.random,
    seed: spec.train.seed,
    taps: dims.scales.map((s) => s.tap),
  });
  progress({ kind: 'log', level: backbone.pretrained ? 'info' : 'warn', message: `backbone: ${backbone.label}` });

  try {
    const featureStart = performance.now();
    const trainSet = await extractFeatures(
      trainSamples.map((s) => s.path),
      spec,
      dims,
      backbone,
      options.cache,
      progress,
      'train',
    );
    const valSet = await extractFeatures(
      validation.map((s) => s.path),
      spec,
      dims,
      backbone,
      options.cache,
      progress,
      'validation',
    );
    const featureSeconds = (performance.now() - featureStart) / 1000;
    return {
      dims,
      dataset,
      trainSamples,
      validation,
      backbone,
      trainSet: trainSet.features,
      valSet: valSet.features,
      featureSeconds,
      fingerprint: dataFingerprint(trainSet.keys, valSet.keys),
    };
  } catch (error) {
    backbone.dispose();
    throw error;
  }
}

function dataFingerprint(trainKeys: string[], validationKeys: string[]): string {
  return hashBytes(`train:${[...trainKeys].sort().join(',')}\nvalidation:${[...validationKeys].sort().join(',')}`);
}
