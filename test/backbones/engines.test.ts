// Every backbone family's one forward (runtime/backbones) gives the same taps on both engines:
// loadBackbone's tfjs run (pure-JS backend, plain float32) and the ONNX graph the same code
// emits, run by onnxruntime, from the same weights: the bundled pretrained MobileNetV1 and
// seeded random weights for the others (ResNet50 for the bottleneck blocks Wide-ResNet50-2 shares).
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as ort from 'onnxruntime-node';
import { backboneInfo, type BackboneArch } from '../../compiler/backbones.ts';
import { archLayout, deepestUnit } from '../../compiler/weights/index.ts';
import { FoldedWeights } from '../../runtime/backbones/fold.ts';
import { backboneForward } from '../../runtime/backbones/forward.ts';
import { loadBackbone } from '../../runtime/backbones/index.ts';
import { FLOAT, GraphBuilder } from '../../runtime/export/graph.ts';
import { ONNX_OPSET } from '../../runtime/export/index.ts';
import { encodeModel } from '../../runtime/export/onnx-proto.ts';
import { OnnxOps } from '../../runtime/tensor-ops/onnx.ts';
import { loadNativeWeights } from '../../runtime/weights/load.ts';
import { randomNativeWeights } from '../../runtime/weights/random.ts';
import { sampleImages, useCpu, weightsFolder } from './helpers.ts';

before(useCpu);

/** The images' side; VGG's full-resolution first blocks on the pure-JS backend want a smaller one. */
const SIZE = 64;
const SEED = 4;
/** Largest |tfjs − onnx| of a tap over its largest |tfjs| value (float32 summation order differs). */
const TOLERANCE = 1e-4;

interface Case {
  arch: BackboneArch;
  alpha: number;
  taps: string[];
  weights?: string;
  size?: number;
}

const CASES: Case[] = [
  {
    arch: 'mobilenet_v1',
    alpha: 0.25,
    taps: ['conv_pw_1', 'conv_pw_2', 'conv_pw_5', 'conv_pw_13'],
    weights: join(weightsFolder('mobilenet_v1_0.25_224'), 'model.json'),
  },
  { arch: 'mobilenet_v2', alpha: 0.35, taps: ['block_0', 'block_2', 'block_5', 'block_16'] },
  { arch: 'resnet18', alpha: 1, taps: ['layer1', 'layer3'] },
  { arch: 'resnet50', alpha: 1, taps: ['layer1', 'layer2'] },
  { arch: 'vgg19', alpha: 1, taps: ['conv1_2', 'conv3_4'], size: 32 },
];

/** The taps of the backbone's forward emitted into an ONNX graph and run by onnxruntime. */
async function onnxTaps(c: Case, taps: string[], pixels: Float32Array, n: number, size: number): Promise<Record<string, Float32Array>> {
  const native = c.weights ? loadNativeWeights(c.weights, c.arch, c.alpha, taps).weights : randomNativeWeights(c.arch, c.alpha, SEED, taps);
  const layout = archLayout(c.arch, c.alpha);
  const g = new GraphBuilder();
  const ops = new OnnxOps(g, {});
  const images = ops.value(g.input('images', FLOAT, ['batch', size, size, 3]), [-1, size, size, 3]);
  const graph = {
    arch: c.arch,
    alpha: c.alpha,
    upTo: deepestUnit(layout, taps),
    taps: new Set(taps),
    normalization: backboneInfo(c.arch, c.alpha).normalization,
  };
  const values = backboneForward(ops, new FoldedWeights(native, layout.naming), graph, images);
  for (const tap of taps)
    g.output(
      tap,
      ops.ref(values[tap]),
      FLOAT,
      values[tap].shape.map((d) => (d === -1 ? 'batch' : d)),
    );
  const bytes = encodeModel({
    irVersion: 8,
    producerName: 'test',
    producerVersion: '0',
    graph: { name: c.arch, node: g.nodes, initializer: g.initializers, input: g.inputs, output: g.outputs },
    opsetImport: [{ domain: '', version: ONNX_OPSET }],
  });
  const session = await ort.InferenceSession.create(bytes);
  try {
    const out = await session.run({ images: new ort.Tensor('float32', pixels, [n, size, size, 3]) });
    return Object.fromEntries(taps.map((t) => [t, out[t].data as Float32Array]));
  } finally {
    await session.release();
  }
}

for (const c of CASES) {
  test(`${c.arch} α${c.alpha} (${c.weights ? 'pretrained' : 'random'}): tfjs and the ONNX graph of the same forward give the same taps`, async (t) => {
    const size = c.size ?? SIZE;
    const { images, source } = await sampleImages(2, size);
    const backbone = await loadBackbone({ arch: c.arch, alpha: c.alpha, weights: c.weights, random: !c.weights, seed: SEED, taps: c.taps });
    try {
      const features = backbone.extract(images);
      const pixels = images.dataSync() as Float32Array;
      const onnx = await onnxTaps(c, backbone.taps, pixels, images.shape[0], size);
      const worst: string[] = [];
      for (const tap of backbone.taps) {
        const a = features[tap].dataSync() as Float32Array;
        const b = onnx[tap];
        assert.equal(b.length, a.length, `${tap}: sizes`);
        let scale = 0;
        let diff = 0;
        for (let i = 0; i < a.length; i++) (scale = Math.max(scale, Math.abs(a[i]))), (diff = Math.max(diff, Math.abs(a[i] - b[i])));
        assert.ok(scale > 0, `${tap}: a map of zeros cannot tell the engines apart`);
        assert.ok(diff / scale < TOLERANCE, `${tap}: engines differ by ${diff / scale} of the tap's range`);
        worst.push(`${tap} ${(diff / scale).toExponential(1)}`);
      }
      tf.dispose(Object.values(features));
      t.diagnostic(`${source}: ${worst.join(', ')}`);
    } finally {
      images.dispose();
      backbone.dispose();
    }
  });
}
