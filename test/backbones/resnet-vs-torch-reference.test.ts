// ResNet18 and Wide-ResNet50-2 (tfjs-core, BN folded, NHWC) against a naive NCHW re-statement
// of torchvision's forward on the same state dict, at even and odd input sizes, with
// non-trivial BatchNorm statistics so that folding and eps matter.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { BackboneArch } from '../../compiler/backbones.ts';
import { loadBackbone } from '../../runtime/backbones/index.ts';
import { randomNativeWeights, seededUniform } from '../../runtime/weights/random.ts';
import { writeSafetensors } from '../../formats/index.ts';
import { relativeError, useCpu } from './helpers.ts';
import { torchResnet, torchVgg } from './torch-reference.ts';

const scratch = mkdtempSync(join(tmpdir(), 'dadf-resnet-ref-'));
process.on('exit', () => rmSync(scratch, { recursive: true, force: true }));

function weightsWithStatistics(arch: BackboneArch, taps: string[], seed: number) {
  const sd = randomNativeWeights(arch, 1, seed, taps);
  const u = seededUniform(seed + 100);
  for (const [name, t] of sd) {
    if (/running_var$/.test(name)) t.data.forEach((_, i) => (t.data[i] = 0.5 + u()));
    else if (/running_mean$|\.bias$/.test(name)) t.data.forEach((_, i) => (t.data[i] = (u() - 0.5) * 0.4));
    else if (/(bn\d|downsample\.1)\.weight$/.test(name)) t.data.forEach((_, i) => (t.data[i] = 0.5 + u()));
  }
  return sd;
}

const CASES: Array<{ arch: BackboneArch; size: number; upTo: number; blocks: number[]; bottleneck: boolean }> = [
  { arch: 'resnet18', size: 32, upTo: 2, blocks: [2, 2], bottleneck: false },
  { arch: 'resnet18', size: 27, upTo: 2, blocks: [2, 2], bottleneck: false },
  { arch: 'wide_resnet50_2', size: 20, upTo: 1, blocks: [3], bottleneck: true },
];

for (const c of CASES) {
  test(`${c.arch} at ${c.size} px equals torchvision semantics up to layer${c.upTo}`, async () => {
    await useCpu();
    const taps = Array.from({ length: c.upTo }, (_, i) => `layer${i + 1}`);
    const sd = weightsWithStatistics(c.arch, taps, 3);
    const path = join(scratch, `${c.arch}.safetensors`);
    writeSafetensors(path, sd);
    const backbone = await loadBackbone({ arch: c.arch, weights: path, taps });
    const u = seededUniform(9);
    const pixels = Float32Array.from({ length: c.size * c.size * 3 }, () => Math.floor(u() * 256));
    const ours = backbone.extract(tf.tensor4d(pixels, [1, c.size, c.size, 3]));
    const reference = torchResnet(sd, pixels, c.size, c.blocks, c.bottleneck, c.upTo);
    taps.forEach((tap, i) => {
      const ref = reference[i];
      const t = ours[tap];
      assert.deepEqual(t.shape, [1, ref.h, ref.w, ref.c], tap);
      // NHWC → NCHW for comparison.
      const nhwc = t.dataSync();
      const nchw = new Float32Array(nhwc.length);
      for (let y = 0; y < ref.h; y++)
        for (let x = 0; x < ref.w; x++) for (let ch = 0; ch < ref.c; ch++) nchw[(ch * ref.h + y) * ref.w + x] = nhwc[(y * ref.w + x) * ref.c + ch];
      const err = relativeError(nchw, Array.from(ref.data));
      assert.ok(err < 1e-5, `${tap}: relative error ${err}`);
    });
    tf.dispose(Object.values(ours));
    backbone.dispose();
  });
}

test('vgg16 at 19 px equals torchvision semantics through pool2 (conv bias, ReLU, floor pooling)', async () => {
  await useCpu();
  const taps = ['conv1_1', 'conv1_2', 'pool1', 'conv2_1', 'conv2_2', 'pool2'];
  const sd = weightsWithStatistics('vgg16', taps, 4);
  const path = join(scratch, 'vgg16.safetensors');
  writeSafetensors(path, sd);
  const backbone = await loadBackbone({ arch: 'vgg16', weights: path, taps });
  const size = 19;
  const u = seededUniform(5);
  const pixels = Float32Array.from({ length: size * size * 3 }, () => Math.floor(u() * 256));
  const ours = backbone.extract(tf.tensor4d(pixels, [1, size, size, 3]));
  const reference = torchVgg(sd, pixels, size, [64, 64, 'M', 128, 128, 'M']);
  taps.forEach((tap, i) => {
    const ref = reference[i];
    assert.deepEqual(ours[tap].shape, [1, ref.h, ref.w, ref.c], tap);
    const nhwc = ours[tap].dataSync();
    const nchw = new Float32Array(nhwc.length);
    for (let y = 0; y < ref.h; y++)
      for (let x = 0; x < ref.w; x++) for (let ch = 0; ch < ref.c; ch++) nchw[(ch * ref.h + y) * ref.w + x] = nhwc[(y * ref.w + x) * ref.c + ch];
    const err = relativeError(nchw, Array.from(ref.data));
    assert.ok(err < 1e-5, `${tap}: relative error ${err}`);
  });
  tf.dispose(Object.values(ours));
  backbone.dispose();
});
