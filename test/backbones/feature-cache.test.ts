// The feature cache: computed once, reused from memory and from float16 files on disk, keyed
// by image, backbone (weights), size; disk size limit; no tensor leaks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { floatToHalf, halfToFloat, halvesToFloats } from '../../formats/index.ts';
import { loadBackbone } from '../../runtime/backbones/index.ts';
import { FeatureCache, type CacheImage } from '../../runtime/features/index.ts';
import { seededUniform } from '../../runtime/weights/random.ts';
import { useCpu } from './helpers.ts';

const SIZE = 32;
const scratch = mkdtempSync(join(tmpdir(), 'dadf-cache-test-'));
process.on('exit', () => rmSync(scratch, { recursive: true, force: true }));

function images(count: number, seed = 1): { list: CacheImage[]; loads: () => number } {
  const uniform = seededUniform(seed);
  let loads = 0;
  const list = Array.from({ length: count }, (_, i) => {
    const pixels = Float32Array.from({ length: SIZE * SIZE * 3 }, () => Math.floor(uniform() * 256));
    return { key: `img-${seed}-${i}`, load: async () => (loads++, pixels) };
  });
  return { list, loads: () => loads };
}

test('float16 conversion: exact on representable values, nearest-even rounding, saturation', () => {
  for (const v of [0, 1, -2, 0.5, 65504, 6.103515625e-5, 2 ** -24, -1023.5]) assert.equal(halfToFloat(floatToHalf(v)), v);
  assert.equal(halfToFloat(floatToHalf(1 + 2 ** -11)), 1); // halfway → even
  assert.equal(halfToFloat(floatToHalf(1 + 3 * 2 ** -11)), 1 + 2 ** -9);
  assert.equal(halfToFloat(floatToHalf(1e6)), Infinity);
  assert.equal(halfToFloat(floatToHalf(1e-9)), 0);
  assert.ok(Number.isNaN(halfToFloat(floatToHalf(NaN))));
  const h = Uint16Array.from([0x3c00, 0xc000, 0x7bff]);
  assert.deepEqual([...halvesToFloats(h)], [1, -2, 65504]);
});

test('features are computed once and reused from memory, then from float16 files by a fresh cache', async () => {
  await useCpu();
  const backbone = await loadBackbone({ arch: 'mobilenet_v1', alpha: 0.25, random: true, seed: 3, taps: ['conv_pw_1', 'conv_pw_3'] });
  const dir = join(scratch, 'cache-a');
  const imgs = images(3);
  const before = tf.memory().numTensors;
  const cache = FeatureCache.open({ dir });
  const first = await cache.getOrCompute(imgs.list, backbone, SIZE, 2);
  assert.equal(cache.stats.computed, 3);
  assert.equal(imgs.loads(), 3);
  assert.deepEqual(Object.keys(first), ['conv_pw_1', 'conv_pw_3']);
  assert.equal(first.conv_pw_3[0].length, 8 * 8 * 32);
  assert.deepEqual(cache.shapeOf(backbone, SIZE, 'conv_pw_3'), [1, 8, 8, 32]);
  // The cached features are those of a direct forward pass of the same image.
  const direct = backbone.extract(tf.tensor4d(await imgs.list[1].load(), [1, SIZE, SIZE, 3]));
  assert.deepEqual(first.conv_pw_3[1], direct.conv_pw_3.dataSync());
  tf.dispose(Object.values(direct));
  const again = await cache.getOrCompute(imgs.list, backbone, SIZE, 2);
  assert.equal(cache.stats.memoryHits, 3);
  assert.equal(cache.stats.computed, 3);
  assert.equal(again.conv_pw_1[2], first.conv_pw_1[2]);
  assert.equal(tf.memory().numTensors, before + 1, 'only the direct-pass input tensor remains'); // the tensor4d above
  // A fresh cache on the same folder reads float16 files: no image is loaded or computed.
  const fresh = FeatureCache.open({ dir });
  const fromDisk = await fresh.getOrCompute(imgs.list, backbone, SIZE, 2);
  assert.equal(fresh.stats.diskHits, 3);
  assert.equal(fresh.stats.computed, 0);
  assert.equal(imgs.loads(), 4);
  for (let i = 0; i < 3; i++) {
    const a = first.conv_pw_3[i];
    const b = fromDisk.conv_pw_3[i];
    for (let k = 0; k < a.length; k++) assert.ok(Math.abs(a[k] - b[k]) <= 1e-3 * Math.max(1, Math.abs(a[k])), `value ${k}: ${a[k]} vs ${b[k]}`);
  }
  assert.deepEqual(fresh.shapeOf(backbone, SIZE, 'conv_pw_3'), [1, 8, 8, 32]);
  // Another backbone (other weights) or another size is another key.
  const other = await loadBackbone({ arch: 'mobilenet_v1', alpha: 0.25, random: true, seed: 4, taps: ['conv_pw_1', 'conv_pw_3'] });
  await fresh.getOrCompute(imgs.list, other, SIZE, 2);
  assert.equal(fresh.stats.computed, 3);
  assert.notEqual(FeatureCache.scopeOf(backbone, 32), FeatureCache.scopeOf(backbone, 64));
  backbone.dispose();
  other.dispose();
});

test('the disk cache stays under its size limit, dropping the oldest entries', async () => {
  await useCpu();
  const backbone = await loadBackbone({ arch: 'mobilenet_v1', alpha: 0.25, random: true, seed: 3, taps: ['conv_pw_1'] });
  const dir = join(scratch, 'cache-b');
  const perImage = 4 + 100 + 16 * 16 * 8 * 2; // header + float16 values, roughly
  const cache = FeatureCache.open({ dir, maxDiskBytes: perImage * 3 });
  await cache.getOrCompute(images(6, 9).list, backbone, SIZE, 3);
  assert.ok(cache.diskUsage() <= perImage * 3, `disk usage ${cache.diskUsage()}`);
  const files = readdirSync(dir).flatMap((s) => readdirSync(join(dir, s)));
  assert.ok(files.length >= 1 && files.length <= 3, `${files.length} files`);
  backbone.dispose();
});

test("a batch's images are decoded together, and the next batch's while the backbone runs; progress counts cached then computed images", async () => {
  await useCpu();
  const backbone = await loadBackbone({ arch: 'mobilenet_v1', alpha: 0.25, random: true, seed: 3, taps: ['conv_pw_1'] });
  const imgs = images(7, 11);
  const cache = FeatureCache.open({ dir: null });
  await cache.getOrCompute(imgs.list.slice(0, 2), backbone, SIZE, 2);
  const events: string[] = [];
  let inFlight = 0;
  let mostInFlight = 0;
  const watched = imgs.list.map((image, i) => ({
    key: image.key,
    load: async () => {
      events.push(`load ${i}`);
      mostInFlight = Math.max(mostInFlight, ++inFlight);
      await new Promise((resolve) => setImmediate(resolve));
      inFlight--;
      return image.load();
    },
  }));
  const got = await cache.getOrCompute(watched, backbone, SIZE, 2, (done) => events.push(`done ${done}`));
  // Images 0 and 1 are cached; 2-3, 4-5 and 6 are computed in three batches.
  assert.deepEqual(events, ['done 2', 'load 2', 'load 3', 'load 4', 'load 5', 'done 4', 'load 6', 'done 6', 'done 7']);
  assert.equal(mostInFlight, 2, 'both images of a batch were being decoded at once');
  // The features are those of the images one at a time, in input order.
  const direct = backbone.extract(tf.tensor4d(await imgs.list[5].load(), [1, SIZE, SIZE, 3]));
  assert.deepEqual(got.conv_pw_1[5], direct.conv_pw_1.dataSync());
  tf.dispose(Object.values(direct));
  backbone.dispose();
});
