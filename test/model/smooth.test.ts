// score.smooth at the edge the checker allows (DADF4029): the largest sigma it lets through
// smooths a map; one step more is refused at run time too, with the same border.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { largestSmoothSigma } from '../../compiler/blocks/score.ts';
import { initBackend } from '../../runtime/backend.ts';
import { smooth } from '../../runtime/model/score.ts';
import { plainTfjsOps } from '../../runtime/tensor-ops/tfjs.ts';

test('the largest sigma the check allows smooths a map; a wider one is refused', async () => {
  await initBackend('cpu');
  const size = 64;
  const sigma = largestSmoothSigma(size);
  assert.equal(sigma, 15.75);
  const map = tf.ones([1, size, size]);
  const smoothed = smooth(plainTfjsOps, map, sigma, size);
  assert.deepEqual(smoothed.shape, [1, size, size]);
  const values = await smoothed.data();
  assert.ok(
    values.every((v) => Math.abs(v - 1) < 1e-5),
    'a constant map stays constant under a normalised Gaussian',
  );
  assert.throws(
    () => smooth(plainTfjsOps, map, sigma + 0.01, size),
    (e: Error & { hint?: string }) => /needs a 64-pixel border/.test(e.message) && /at most 15.75/.test(e.hint ?? ''),
  );
  tf.dispose([map, smoothed]);
});
