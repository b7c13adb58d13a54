// Our MobileNetV2 against tfjs-layers running the Teachable Machine export it comes from (the
// ImageNet backbone is the nested model layers[0].layers[0]): the block taps must agree.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { loadBackbone } from '../../runtime/backbones/index.ts';
import { hazelnutImages, loadImages, relativeError, sharedMissing, useCpu, WEIGHTS } from './helpers.ts';

const folder = 'mobilenet_v2_0.35_keras';
const skip = sharedMissing('weights', folder) || sharedMissing('data', 'hazelnut_toy');

test(`${folder}: block taps equal tfjs-layers' nested backbone on a hazelnut photo`, { skip }, async () => {
  await useCpu();
  const dir = join(WEIGHTS, folder);
  const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
  const weightSpecs = json.weightsManifest.flatMap((g: { weights: tf.io.WeightsManifestEntry[] }) => g.weights);
  const bin = readFileSync(join(dir, 'weights.bin'));
  const model = await tfl.loadLayersModel({
    load: async () => ({ modelTopology: json.modelTopology, weightSpecs, weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.length) }),
  });
  const base = (model.layers[0] as tfl.Sequential).layers[0] as tfl.LayersModel;
  const taps = ['block_0', 'block_2', 'block_5', 'block_12'];
  const keras = ['expanded_conv_project_BN', 'block_2_add', 'block_5_add', 'block_12_add'];
  const probe = tfl.model({ inputs: base.inputs, outputs: keras.map((k) => base.getLayer(k).output as tfl.SymbolicTensor) });
  const backbone = await loadBackbone({ arch: 'mobilenet_v2', alpha: 0.35, weights: dir, taps });
  assert.deepEqual(backbone.taps, taps);
  const images = await loadImages(hazelnutImages(1), 224);
  const ours = backbone.extract(images);
  const scaled = tf.tidy(() => tf.sub(tf.div(images, 127.5), 1));
  const theirs = probe.predict(scaled) as tf.Tensor[];
  taps.forEach((tap, i) => {
    assert.deepEqual(ours[tap].shape, theirs[i].shape, tap);
    const err = relativeError(ours[tap].dataSync() as Float32Array, theirs[i].dataSync() as Float32Array);
    assert.ok(err < 1e-4, `${tap}: relative error ${err}`);
  });
  assert.deepEqual(ours.block_12.shape, [1, 14, 14, 32]);
  tf.dispose([images, scaled, ...theirs, ...Object.values(ours)]);
  model.dispose();
  backbone.dispose();
});
