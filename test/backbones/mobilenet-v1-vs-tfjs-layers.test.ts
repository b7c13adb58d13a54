// Our MobileNetV1 (tfjs-core ops, BN folded) against tfjs-layers' own loader on the same
// real ImageNet weights and real photos: the taps must agree.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { loadBackbone } from '../../runtime/backbones/index.ts';
import { relativeError, sampleImages, useCpu, weightsFolder } from './helpers.ts';

/** tfjs-layers' loader fed from local files; a missing shard becomes zeros (no tap uses it). */
async function loadLayersModelFromFolder(dir: string): Promise<tfl.LayersModel> {
  const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
  // Free the spatial size (the graph is fully convolutional up to the taps).
  json.modelTopology.model_config.config.layers[0].config.batch_input_shape = [null, null, null, 3];
  const weightSpecs: tf.io.WeightsManifestEntry[] = [];
  const parts: Uint8Array[] = [];
  for (const group of json.weightsManifest as Array<{ paths: string[]; weights: tf.io.WeightsManifestEntry[] }>) {
    const bytes = group.weights.reduce((n, w) => n + w.shape.reduce((a, b) => a * b, 1) * 4, 0);
    const files = group.paths.map((p) => join(dir, p));
    parts.push(files.every(existsSync) ? new Uint8Array(Buffer.concat(files.map((f) => readFileSync(f)))) : new Uint8Array(bytes));
    weightSpecs.push(...group.weights);
  }
  const weightData = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    weightData.set(p, offset);
    offset += p.length;
  }
  const handler: tf.io.IOHandler = {
    load: async () => ({ modelTopology: json.modelTopology, weightSpecs, weightData: weightData.buffer }),
  };
  return tfl.loadLayersModel(handler);
}

for (const folder of ['mobilenet_v1_0.25_224', 'mobilenet_v1_1.0_224']) {
  const dir = weightsFolder(folder);
  const skip = existsSync(join(dir, 'model.json')) ? false : `weights absent (${dir}): only α0.25 is bundled; set DADF_SHARED to run this test`;
  test(`${folder}: taps equal tfjs-layers' own model on real or synthetic images`, { skip }, async () => {
    await useCpu();
    const alpha = folder.includes('0.25') ? 0.25 : 1;
    const taps = ['conv_pw_3', 'conv_pw_5', 'conv_pw_11'];
    const backbone = await loadBackbone({ arch: 'mobilenet_v1', alpha, weights: dir, taps });
    assert.equal(backbone.pretrained, true);
    assert.match(backbone.label, /pretrained/);
    const reference = await loadLayersModelFromFolder(dir);
    const probe = tfl.model({ inputs: reference.inputs, outputs: taps.map((t) => reference.getLayer(`${t}_relu`).output as tfl.SymbolicTensor) });
    const size = 128;
    const { images } = await sampleImages(2, size);
    const ours = backbone.extract(images);
    const scaled = tf.tidy(() => tf.sub(tf.div(images, 127.5), 1));
    const theirs = probe.predict(scaled) as tf.Tensor[];
    const strides = [4, 8, 16];
    taps.forEach((tap, i) => {
      assert.deepEqual(ours[tap].shape, theirs[i].shape, tap);
      assert.deepEqual(ours[tap].shape, [2, size / strides[i], size / strides[i], [128, 256, 512][i] * alpha]);
      const err = relativeError(ours[tap].dataSync() as Float32Array, theirs[i].dataSync() as Float32Array);
      assert.ok(err < 1e-4, `${tap}: relative error ${err}`);
      assert.ok(tf.max(theirs[i]).dataSync()[0] > 0, `${tap} is not all zeros`);
    });
    tf.dispose([images, scaled, ...theirs, ...Object.values(ours)]);
    reference.dispose();
    backbone.dispose();
  });
}
