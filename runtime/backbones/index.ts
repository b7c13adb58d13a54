// Public face of the backbones: a frozen, inference-only CNN that maps a batch of RGB images
// (NHWC float32 in 0..255) to the requested taps (NHWC), with pretrained weights from a local
// file or seeded random weights (always labelled so). Its forward (forward.ts, on the op
// interface) runs here on tfjs; the ONNX export emits the same forward.
import * as tf from '@tensorflow/tfjs-core';
import { UserError } from '../../common/errors.ts';
import { backboneInfo, BACKBONE_ARCHS, type BackboneArch, type BackboneInfo, type InputNormalization } from '../../compiler/backbones.ts';
import { archLayout, canonicalTap, deepestUnit } from '../../compiler/weights/index.ts';
import { loadNativeWeights } from '../weights/load.ts';
import { randomNativeWeights } from '../weights/random.ts';
import { hashFiles, type NativeWeights } from '../../formats/index.ts';
import { TfjsOps } from '../tensor-ops/tfjs.ts';
import { FoldedWeights } from './fold.ts';
import { backboneForward, type BackboneGraph } from './forward.ts';

export interface BackboneOptions {
  arch: BackboneArch;
  /** Width multiplier of the MobileNets; 1 elsewhere. */
  alpha?: number;
  /** An absolute (resolved) path to the weights: TF.js model folder/model.json, .safetensors, .pth. */
  weights?: string;
  /** Seeded random weights instead (for tests; never as good as pretrained ones). */
  random?: boolean;
  seed?: number;
  /** Tap names of the backbone table (Keras layer names like conv_pw_3_relu are accepted). */
  taps: string[];
}

export interface Backbone {
  /** arch + alpha + weights content hash, or + 'random-seedN': what feature caches key on. */
  id: string;
  pretrained: boolean;
  /** For people: what this is and where its weights came from. */
  label: string;
  info: BackboneInfo;
  /** The taps it computes (table names), in network order. */
  taps: string[];
  normalization: InputNormalization;
  /** images: NHWC float32 RGB in 0..255. Returns one NHWC tensor per tap; the caller disposes them. */
  extract(images: tf.Tensor4D): Record<string, tf.Tensor4D>;
  dispose(): void;
}

function archTag(arch: BackboneArch, alpha: number): string {
  return arch.startsWith('mobilenet') ? `${arch}_${alpha.toFixed(2)}` : arch;
}

/** Big enough for every architecture's deepest layer (a 32-pixel image is 1×1 after stride 32). */
const WARM_UP_SIZE = 32;

/** Builds a backbone for the given taps; only the layers up to the deepest tap are made. */
export async function loadBackbone(options: BackboneOptions): Promise<Backbone> {
  const { arch } = options;
  if (!BACKBONE_ARCHS.includes(arch)) {
    throw new UserError(`unknown backbone ${arch}`, { hint: `Backbones: ${BACKBONE_ARCHS.join(', ')}` });
  }
  const alpha = options.alpha ?? 1;
  const info = backboneInfo(arch, alpha);
  const requested = options.taps.length ? options.taps : info.defaultTaps;
  const taps = requested.map((t) => {
    const c = canonicalTap(arch, alpha, t);
    if (!c) throw new UserError(`unknown tap ${t} for ${arch}`, { hint: `Taps of ${arch}: ${info.taps.map((x) => x.name).join(', ')}` });
    return c;
  });
  const layout = archLayout(arch, alpha);
  const upTo = deepestUnit(layout, taps);
  const ordered = layout.units.map((u) => u.tap).filter((t) => taps.includes(t));
  let weights: NativeWeights;
  let id: string;
  let label: string;
  let pretrained: boolean;
  const name = arch.startsWith('mobilenet') ? `${arch} α${alpha}` : arch;
  if (options.weights) {
    const loaded = loadNativeWeights(options.weights, arch, alpha, ordered);
    weights = loaded.weights;
    id = `${archTag(arch, alpha)}-${hashFiles(loaded.file.contentFiles)}`;
    label = `${name} (pretrained: ${loaded.file.format} weights from ${options.weights})`;
    pretrained = true;
  } else if (options.random) {
    const seed = options.seed ?? 0;
    weights = randomNativeWeights(arch, alpha, seed, ordered);
    id = `${archTag(arch, alpha)}-random-seed${seed}`;
    label = `${name} (RANDOM init, seed ${seed}: not pretrained)`;
    pretrained = false;
  } else {
    throw new UserError(`no weights given for backbone ${arch}`, {
      hint: `Give weights: ${info.weightsHint} (see docs/backbones.md), or ask for random weights explicitly (random: true / --random) for tests.`,
    });
  }
  const graph: BackboneGraph = { arch, alpha, upTo, taps: new Set(ordered), normalization: info.normalization };
  const ops = new TfjsOps();
  const folded = new FoldedWeights(weights, layout.naming);
  const forward = (images: tf.Tensor4D) => backboneForward(ops, folded, graph, images) as Record<string, tf.Tensor4D>;
  // The forward folds and uploads each layer's weights on first use: one pass over a small
  // image does it for every layer now, so the file's arrays can go.
  tf.tidy(() => {
    forward(tf.zeros([1, WARM_UP_SIZE, WARM_UP_SIZE, 3]));
  });
  weights.clear();
  return {
    id,
    pretrained,
    label,
    info,
    taps: ordered,
    normalization: info.normalization,
    extract(images: tf.Tensor4D): Record<string, tf.Tensor4D> {
      if (images.rank !== 4 || images.shape[3] !== 3) {
        throw new UserError(`backbone input must be NHWC with 3 channels, got [${images.shape.join(', ')}]`);
      }
      return tf.tidy(() => forward(images));
    },
    dispose: () => ops.dispose(),
  };
}
