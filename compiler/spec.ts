// The pipeline Spec, defined once. TypeBox gives the TypeScript types (Static), the JSON
// Schema (`dadfc schema`, YAML editors) and, through ajv, validation with defaults.
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { BACKBONE_ARCHS } from './backbones.ts';

const doc = (description: string, extra: Record<string, unknown> = {}) => ({ description, ...extra });
// Every number has a sane range (docs/limits.md): the checker refuses a value past it, with the
// value and the limit, before anything is sized from it. This schema is the one place they live.
const PositiveInt = (description: string, maximum: number, def?: number) =>
  Type.Integer({ minimum: 1, maximum, ...doc(description), ...(def === undefined ? {} : { default: def }) });
const PositiveNumber = (description: string, maximum: number, def?: number) =>
  Type.Number({ exclusiveMinimum: 0, maximum, ...doc(description), ...(def === undefined ? {} : { default: def }) });
// A string enum as JSON Schema `enum` (one clear ajv error, not one per branch), typed as its literals.
const Enum = <T extends string>(values: readonly T[], description: string, def?: T) =>
  Type.Unsafe<T>({ type: 'string', enum: [...values], ...doc(description), ...(def === undefined ? {} : { default: def }) });

export const STREAMS = ['prior', 'self', 'memory'] as const;
export type Stream = (typeof STREAMS)[number];

const InputSpec = Type.Object(
  {
    size: PositiveInt('Side in pixels the images are resized to (square).', 4096, 256),
    normalize: Enum(
      ['backbone', 'imagenet', 'tf', 'none'] as const,
      "Pixel normalisation: 'backbone' uses the backbone's own (ImageNet mean/std for torchvision nets, [-1, 1] for Keras MobileNets).",
      'backbone',
    ),
    resize: Enum(['bilinear', 'nearest', 'lanczos3', 'cubic'] as const, 'Resampling filter used to resize images.', 'bilinear'),
  },
  { additionalProperties: false, default: {}, ...doc('How images enter the network.') },
);

const EnvRef = Type.Object(
  {
    type: Type.Literal('env'),
    name: Type.String({ minLength: 1, ...doc('Environment variable holding the weights path.') }),
    default: Type.Optional(Type.String(doc('Path used when the variable is unset (relative to the pipeline file).'))),
  },
  { additionalProperties: false, ...doc('Weights path read from an environment variable: env("NAME", "default/path").') },
);

const BackboneSpec = Type.Object(
  {
    arch: Enum(BACKBONE_ARCHS, 'Backbone architecture (frozen, pretrained).'),
    alpha: Type.Number({ exclusiveMinimum: 0, maximum: 4, default: 1, ...doc('Width multiplier (MobileNets only).') }),
    weights: Type.Optional(
      Type.Union(
        [Type.String({ minLength: 1, maxLength: 4096 }), EnvRef],
        doc('Pretrained weights: a path relative to the pipeline file, or env("VAR", "default").'),
      ),
    ),
    random: Type.Boolean({ default: false, ...doc('Use a seeded random initialisation instead of pretrained weights (tests only: features are far worse).') }),
    taps: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 200 }), {
        minItems: 1,
        maxItems: 16,
        ...doc('Layers whose outputs are the multi-scale features, shallow to deep.'),
      }),
    ),
  },
  { additionalProperties: false, ...doc('The frozen feature extractor.') },
);

const EmbedSpec = Type.Object(
  {
    patch: Type.Array(PositiveInt('Patch size for one scale.', 64), {
      minItems: 1,
      maxItems: 16,
      ...doc('Patch size per tap (kernel = stride of the patch embedding).'),
    }),
    dim: PositiveInt('Embedding width E per scale; tokens are E x scales wide.', 4096, 480),
  },
  { additionalProperties: false, ...doc('Patch embedding of each scale into tokens.') },
);

const MemorySpec = Type.Object(
  {
    tokens: PositiveInt('Number of learned memory tokens (must equal the token count).', 65536),
    query: Enum(
      ['memory', 'features'] as const,
      "Memorial branch: 'memory' = query and value from memory, key from features (authors' code); 'features' = query from features, key and value from memory (paper text).",
      'memory',
    ),
    init_std: PositiveNumber('Standard deviation of the normal init of memory tokens.', 10, 0.02),
  },
  { additionalProperties: false, ...doc('Learned memory tokens of the memorial attention branch.') },
);

const TransformerSpec = Type.Object(
  {
    depth: PositiveInt('Number of dual-attention blocks.', 64, 8),
    heads: PositiveInt('Attention heads (must divide the width).', 256, 8),
    mlp_ratio: PositiveNumber('Hidden width of the MLP relative to the token width.', 16, 4),
    qkv_bias: Type.Boolean({ default: true, ...doc('Bias in the qkv projection.') }),
    memory: MemorySpec,
  },
  { additionalProperties: false, ...doc('The dual-attention transformer that reconstructs the features twice.') },
);

const SUBNET_LAYERS = ['dwconv3x3', 'dwconv1x1', 'conv1x1', 'conv3x3'] as const;
const LeakyRelu = Type.Object(
  { type: Type.Literal('leaky_relu'), slope: Type.Number({ exclusiveMinimum: 0, maximum: 10, default: 0.1 }) },
  { additionalProperties: false, ...doc('LeakyReLU activation: leaky_relu(0.1).') },
);
const SubnetLayer = Type.Union([Enum(SUBNET_LAYERS, 'A subnet layer.'), Enum(['relu', 'gelu'] as const, 'An activation.'), LeakyRelu]);

const FlowSpec = Type.Object(
  {
    over: Type.Array(Enum(STREAMS, 'A feature stream: prior (backbone), self or memory (reconstructions).'), {
      minItems: 1,
      maxItems: STREAMS.length,
      uniqueItems: true,
      ...doc('Streams the flow models jointly: [prior] = phiP, [prior, self] = phiP-S, [prior, memory] = phiP-M, [prior, self, memory] = phiD.'),
    }),
    steps: PositiveInt('Coupling steps per scale.', 64, 8),
    clamp: PositiveNumber('Soft clamp of the log-scale: s = clamp * tanh(a).', 100, 2.0),
    subnet: Type.Array(SubnetLayer, {
      minItems: 1,
      maxItems: 32,
      default: ['dwconv3x3', { type: 'leaky_relu', slope: 0.1 }, 'conv1x1'],
      ...doc('Layers of each coupling subnet; the last maps to 2 x the moving half. 3x3 kernels alternate with 1x1 across steps when alternate is true.'),
    }),
    alternate: Type.Boolean({ default: true, ...doc('Alternate 3x3 and 1x1 kernels between steps (authors).') }),
    permute: Enum(['fixed', 'none'] as const, 'Channel permutation after each step: a fixed random one, or none.', 'fixed'),
    subnet_scale: PositiveNumber('Factor on the subnet output before the clamp.', 100, 0.1),
    position: Type.Integer({
      minimum: 0,
      maximum: 1024,
      default: 0,
      ...doc(
        "Channels of a fixed 2-D sine-cosine position code appended to every coupling subnet's input, so the flow models a feature given where it is (as CFlow-AD conditions its flows); a multiple of 4. 0 = none, the paper's flows.",
      ),
    }),
  },
  { additionalProperties: false, ...doc('Discriminative normalizing flows, one per scale.') },
);

const ThresholdSpec = Type.Object(
  {
    quantile: Type.Number({
      exclusiveMinimum: 0,
      maximum: 1,
      default: 0.99,
      ...doc(
        "With good-only validation images: the image threshold is this quantile of their image scores, the pixel threshold this quantile of their maps' maxima (docs/thresholds.md).",
      ),
    }),
    image: Type.Optional(
      Type.Number({ minimum: -1e30, maximum: 1e30, ...doc('A fixed image threshold on the raw score instead of the one learned on the validation split.') }),
    ),
    pixel: Type.Optional(
      Type.Number({ minimum: -1e30, maximum: 1e30, ...doc('A fixed pixel threshold on the raw map instead of the one learned on the validation split.') }),
    ),
  },
  {
    additionalProperties: false,
    default: {},
    ...doc('Good/defective decisions: thresholds learned on the validation split (never the test split), or fixed here.'),
  },
);

const HeadScales = Type.Optional(
  Type.Array(PositiveInt('A scale, 1-based.', 16), {
    minItems: 1,
    maxItems: 16,
    uniqueItems: true,
    ...doc('Scales whose features the head models, concatenated at the grid of the first one listed (give the finest first); default: all.'),
  }),
);

const GaussianHeadSpec = Type.Object(
  {
    scales: HeadScales,
    per_position: Type.Boolean({ default: true, ...doc('One Gaussian per feature position (PaDiM), or one shared by every position.') }),
    shrinkage: Type.Union([Enum(['ledoit_wolf'] as const, 'Estimate the intensity per Gaussian (Ledoit-Wolf).'), Type.Number({ minimum: 0, maximum: 1 })], {
      default: 0,
      ...doc('Covariance shrinkage towards a scaled identity: (1 − δ)·Σ + δ·(tr Σ / C)·I, with δ a number in [0, 1] or ledoit_wolf.'),
    }),
    ridge: Type.Number({ minimum: 0, maximum: 1e6, default: 0.01, ...doc("Added to the covariance's diagonal after shrinkage (PaDiM's 0.01·I).") }),
    channels: Type.Integer({
      minimum: 0,
      maximum: 65536,
      default: 0,
      ...doc('Model this many channels, drawn at random once (seeded by train.seed), as PaDiM does; 0 = all.'),
    }),
  },
  { additionalProperties: false, ...doc('A Gaussian of the good features, scored by Mahalanobis distance (PaDiM).') },
);

const KnnHeadSpec = Type.Object(
  {
    scales: HeadScales,
    coreset: Type.Number({
      exclusiveMinimum: 0,
      maximum: 1,
      default: 0.1,
      ...doc('Fraction of the training patches kept in the memory bank, chosen by greedy k-center coreset (1 = all).'),
    }),
    projection: Type.Integer({
      minimum: 0,
      maximum: 65536,
      default: 128,
      ...doc('Dimensions of the seeded random projection the coreset selection measures distances in (0 = the full features).'),
    }),
    k: PositiveInt('Nearest memory entries whose mean distance is a patch’s score.', 1024, 1),
    aggregate: PositiveInt('Side of the neighbourhood each patch feature is averaged over before entering the memory (odd; 1 = none).', 63, 3),
  },
  { additionalProperties: false, ...doc('A memory of good patch features, scored by nearest-neighbour distance (PatchCore).') },
);

const HeadsSpec = Type.Object(
  { gaussian: Type.Optional(GaussianHeadSpec), knn: Type.Optional(KnnHeadSpec) },
  {
    additionalProperties: false,
    default: {},
    ...doc('Detectors fitted on the same frozen features without gradient training; score.heads chooses which enter the map.'),
  },
);

/** What a score head's map comes from: the DADF model (by score.source) or a fitted head. */
export const MODEL_SOURCES = ['flow', 'self', 'memory', 'reconstruction'] as const;
export const HEAD_KINDS = ['gaussian', 'knn'] as const;
const SCORE_HEADS = [...MODEL_SOURCES, ...HEAD_KINDS] as const;
export type ScoreHead = (typeof SCORE_HEADS)[number];
export type HeadKind = (typeof HEAD_KINDS)[number];

const ScoreSpec = Type.Object(
  {
    source: Enum(
      MODEL_SOURCES,
      'What the anomaly map is computed from: flow likelihood, or reconstruction error of the self branch, the memory branch, or their weighted fusion.',
      'flow',
    ),
    self_weight: Type.Number({ minimum: 0, maximum: 1, default: 0.5, ...doc('Weight of the self branch when source is reconstruction.') }),
    scales: Type.Optional(
      Type.Array(PositiveInt('A scale, 1-based.', 16), { minItems: 1, maxItems: 16, uniqueItems: true, ...doc('Scales that enter the map (default: all).') }),
    ),
    upsample: Enum(['bilinear', 'nearest'] as const, 'How per-scale maps reach the input size.', 'bilinear'),
    fuse: Enum(['mean', 'sum', 'max', 'product'] as const, 'How per-scale maps are combined.', 'mean'),
    smooth: Type.Number({ minimum: 0, maximum: 256, default: 0, ...doc('Gaussian smoothing sigma in pixels (0 = none).') }),
    calibrate: Enum(
      ['none', 'validation'] as const,
      "Per-scale calibration before fusion: 'validation' standardises each scale's map by the mean and standard deviation it has on the validation split (good training images only), so that no scale dominates the fusion by its range alone.",
      'none',
    ),
    image: Enum(['max', 'mean', 'top1pct'] as const, 'Image score from the map.', 'max'),
    threshold: ThresholdSpec,
    heads: Type.Optional(
      Type.Array(Enum(SCORE_HEADS, 'A head: the DADF model by its score.source, or a head of the heads section.'), {
        minItems: 1,
        maxItems: SCORE_HEADS.length,
        uniqueItems: true,
        ...doc(
          'Heads whose maps make the anomaly map (default: [score.source], the DADF model alone). With several, each map is standardised by its mean and standard deviation on the validation split, then they are combined by score.combine.',
        ),
      }),
    ),
    combine: Enum(['mean', 'max', 'sum'] as const, 'How the standardised maps of several heads are combined, pixel by pixel.', 'mean'),
  },
  { additionalProperties: false, default: {}, ...doc('From model outputs to anomaly maps and image scores.') },
);

export const Optimizer = Type.Object(
  {
    type: Enum(['adamw', 'adam', 'sgd'] as const, 'Optimizer.'),
    lr: PositiveNumber('Learning rate.', 10, 1e-4),
    betas: Type.Array(Type.Number({ minimum: 0, exclusiveMaximum: 1 }), { minItems: 2, maxItems: 2, default: [0.9, 0.95], ...doc('Adam betas.') }),
    weight_decay: Type.Number({ minimum: 0, maximum: 10, default: 0.05, ...doc('Decoupled weight decay (adamw).') }),
  },
  { additionalProperties: false, default: { type: 'adamw' }, ...doc('Optimizer: adamw(lr: 1e-4, betas: [0.9, 0.95], weight_decay: 0.05).') },
);
export type Optimizer = Static<typeof Optimizer>;

export const LOSSES = { reconstruct: ['mse', 'l1', 'cosine'], flow: ['nll'] } as const;
export type ReconstructionLoss = (typeof LOSSES.reconstruct)[number];
type FlowLoss = (typeof LOSSES.flow)[number];

/**
 * One stage's settings. The schema admits any loss name so that the checker can say which
 * losses the stage has (did you mean …); the type is the checked set.
 */
const stageSpec = <Loss extends string>() =>
  Type.Object(
    {
      epochs: PositiveInt('Epochs of this stage.', 100_000),
      lr: Type.Optional(PositiveNumber('Learning rate for this stage (overrides the optimizer).', 10)),
      loss: Type.Optional(
        Type.Unsafe<Loss>(Type.String({ minLength: 1, maxLength: 64, ...doc('Loss of this stage: reconstruct: mse | l1 | cosine; flow: nll.') })),
      ),
      batch: Type.Optional(PositiveInt('Batch size for this stage (overrides train.batch).', 4096)),
    },
    { additionalProperties: false },
  );

const TrainSpec = Type.Object(
  {
    optimizer: Optimizer,
    batch: PositiveInt('Batch size.', 4096, 8),
    seed: Type.Integer({ minimum: 0, maximum: 4294967295, default: 0, ...doc('Seed for initialisation, shuffling and the validation split.') }),
    validation: Type.Number({
      minimum: 0,
      exclusiveMaximum: 1,
      default: 0.1,
      ...doc('Fraction of train/good held out for validation (never the test split).'),
    }),
    grad_clip: Type.Number({ minimum: 0, maximum: 1e6, default: 0, ...doc('Global gradient-norm clip (0 = off).') }),
    stages: Type.Object(
      {
        reconstruct: Type.Optional(stageSpec<ReconstructionLoss>()),
        flow: Type.Optional(stageSpec<FlowLoss>()),
      },
      { additionalProperties: false, default: {}, ...doc('Stage 1 trains the transformer (reconstruction), stage 2 the flows with the transformer frozen.') },
    ),
  },
  { additionalProperties: false, default: {}, ...doc('Two-stage training.') },
);

const SweepSpec = Type.Record(Type.String(), Type.Array(Type.Unknown(), { minItems: 1, maxItems: 100 }), {
  maxProperties: 16,
  ...doc('A grid of dotted keys and the values each takes; `dadfc sweep` runs every combination.'),
});

export const PipelineSpec = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200, ...doc('Pipeline name.') }),
    input: InputSpec,
    backbone: BackboneSpec,
    embed: EmbedSpec,
    transformer: TransformerSpec,
    flow: FlowSpec,
    heads: HeadsSpec,
    score: ScoreSpec,
    train: TrainSpec,
    sweep: Type.Optional(SweepSpec),
  },
  { additionalProperties: false, $id: 'https://dadf.dev/schema/pipeline.json', title: 'dadf pipeline', ...doc('A resolved dadf pipeline.') },
);

export type Spec = Static<typeof PipelineSpec>;
export type StageName = keyof Spec['train']['stages'];

/** The document a YAML pipeline file holds: a Spec plus `pipeline`/`extends`, every section optional. */
export function pipelineFileSchema(): TSchema {
  const { name: _name, ...sections } = PipelineSpec.properties;
  const optional = Object.fromEntries(Object.entries(sections).map(([k, v]) => [k, Type.Optional(partialDeep(v))]));
  return Type.Object(
    {
      pipeline: Type.String({ minLength: 1, ...doc('Pipeline name.') }),
      extends: Type.Optional(
        Type.Union([Type.String(), Type.Array(Type.String(), { minItems: 1 })], doc('Pipeline file(s) this one builds on, relative to it.')),
      ),
      ...optional,
    },
    {
      additionalProperties: false,
      // Dotted overrides at the top level, e.g. `flow.over: [prior]` in an ablation.
      patternProperties: { '^[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)+$': {} },
      title: 'dadf pipeline file',
      description: 'A dadf pipeline (YAML form). Sections may be partial when the pipeline extends another.',
    },
  );
}

function partialDeep(schema: TSchema): TSchema {
  if (schema.type === 'object' && schema.properties) {
    const props = Object.fromEntries(Object.entries(schema.properties as Record<string, TSchema>).map(([k, v]) => [k, Type.Optional(partialDeep(v))]));
    const { properties: _p, required: _r, ...rest } = schema;
    return Type.Object(props, rest);
  }
  return schema;
}
