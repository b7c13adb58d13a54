// The TF.js layers reader on hand-made folders: weights split over several shard files of one
// group, a nested-model name prefix, uint8-quantised and float16 weights.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { fitWeights, tensorsForTaps, archLayout } from '../../compiler/weights/index.ts';
import { floatToHalf, openWeightFile } from '../../formats/index.ts';
import { loadBackbone } from '../../runtime/backbones/index.ts';
import { randomNativeWeights } from '../../runtime/weights/random.ts';
import { useCpu } from './helpers.ts';

const scratch = mkdtempSync(join(tmpdir(), 'dadf-tfjs-reader-'));
process.on('exit', () => rmSync(scratch, { recursive: true, force: true }));

test('shards split mid-weight, a model-name prefix, uint8 and float16 quantisation', async () => {
  await useCpu();
  const taps = ['conv_pw_1'];
  const native = randomNativeWeights('mobilenet_v1', 0.25, 1, taps);
  const names = tensorsForTaps(archLayout('mobilenet_v1', 0.25), taps).map((t) => t.name);
  const chunks: Buffer[] = [];
  const weights: object[] = [];
  const expected = new Map<string, Float32Array>();
  for (const name of names) {
    const t = native.get(name)!;
    if (name === 'conv1/kernel') {
      // uint8: value = q * scale + min
      const min = -1;
      const scale = 2 / 255;
      const q = Uint8Array.from(t.data, (v) => Math.max(0, Math.min(255, Math.round((v - min) / scale))));
      chunks.push(Buffer.from(q));
      weights.push({ name: `model1/${name}`, shape: t.shape, dtype: 'float32', quantization: { dtype: 'uint8', scale, min } });
      expected.set(
        name,
        Float32Array.from(q, (v) => v * scale + min),
      );
    } else if (name === 'conv_dw_1/depthwise_kernel') {
      const h = Uint16Array.from(t.data, floatToHalf);
      chunks.push(Buffer.from(h.buffer));
      weights.push({ name: `model1/${name}`, shape: t.shape, dtype: 'float32', quantization: { dtype: 'float16' } });
      expected.set(
        name,
        Float32Array.from(new Float32Array(t.data.length), (_, i) => Math.fround(halfValue(h[i]))),
      );
    } else {
      chunks.push(Buffer.from(new Uint8Array(t.data.buffer.slice(0))));
      weights.push({ name: `model1/${name}`, shape: t.shape, dtype: 'float32' });
      expected.set(name, t.data);
    }
  }
  const all = Buffer.concat(chunks);
  const dir = join(scratch, 'quantised');
  mkdirSync(dir);
  // One group split over three files at arbitrary byte boundaries.
  const cuts = [0, 100, 777, all.length];
  const paths = cuts.slice(1).map((_, i) => `group1-shard${i + 1}of3`);
  paths.forEach((p, i) => writeFileSync(join(dir, p), all.subarray(cuts[i], cuts[i + 1])));
  writeFileSync(join(dir, 'model.json'), JSON.stringify({ modelTopology: null, weightsManifest: [{ paths, weights }] }));

  const file = openWeightFile(dir);
  const fit = fitWeights(file, 'mobilenet_v1', 0.25, taps);
  assert.equal(fit.prefix, 'model1/');
  assert.deepEqual(fit.problems, []);
  for (const name of names) {
    const got = file.read(`model1/${name}`);
    const want = expected.get(name)!;
    for (let i = 0; i < want.length; i++) assert.ok(Math.abs(got[i] - want[i]) < 1e-6, `${name}[${i}]: ${got[i]} vs ${want[i]}`);
  }
  const backbone = await loadBackbone({ arch: 'mobilenet_v1', alpha: 0.25, weights: dir, taps });
  const out = backbone.extract(tf.zeros([1, 16, 16, 3]) as tf.Tensor4D);
  assert.deepEqual(out.conv_pw_1.shape, [1, 8, 8, 16]);
  tf.dispose(Object.values(out));
  backbone.dispose();
});

function halfValue(h: number): number {
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  const sign = h & 0x8000 ? -1 : 1;
  return exp === 0 ? sign * frac * 2 ** -24 : sign * (1 + frac / 1024) * 2 ** (exp - 15);
}
