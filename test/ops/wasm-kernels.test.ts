// The heap-view Slice / SplitV / Unpack / GatherV2 kernels installed on wasm give the same values as the
// cpu backend for contiguous and strided blocks of every rank the model uses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../runtime/backend.ts';

const SHAPE = [3, 4, 5, 6];
const values = Float32Array.from({ length: 3 * 4 * 5 * 6 }, (_, i) => i * 0.5 - 7);

function runAll(): number[][] {
  const x = tf.tensor4d(values, SHAPE as [number, number, number, number]);
  const flat = tf.reshape(x, [12, 30]);
  const outs: tf.Tensor[] = tf.tidy(() => [
    tf.slice(x, [1, 0, 0, 0], [2, -1, -1, -1]),
    tf.slice(x, [0, 1, 2, 3], [3, 2, 3, 2]),
    tf.slice(x, [2, 3, 0, 0], [1, 1, 5, 6]),
    tf.slice(flat, [5, 7], [4, 9]),
    ...tf.split(x, [2, 4], 3),
    ...tf.split(x, 2, 1),
    ...tf.unstack(x, 0),
    ...tf.unstack(x, 2),
    tf.slice(x, [0, 0, 0, 0], [0, 4, 5, 6]),
    tf.gather(x, [2, 0, 0], 0),
    tf.gather(x, [3, 1], 1),
    tf.gather(x, tf.tensor2d([4, 0, 1, 1], [2, 2], 'int32'), 2),
    tf.gather(x, [5, 4, 3, 2, 1, 0], 3),
    tf.gather(tf.cast(x, 'int32'), [1, 0, 5], -1),
  ]);
  const data = outs.map((t) => [...t.shape, ...t.dataSync()]);
  tf.dispose([x, flat, ...outs]);
  return data;
}

test('wasm slice, split and unstack equal the cpu backend exactly', async () => {
  await initBackend('cpu');
  const expected = runAll();
  await initBackend('wasm');
  assert.equal(tf.getKernel('Slice', 'wasm')?.kernelFunc.name, 'slice');
  const x = tf.ones([2, 3]);
  assert.throws(() => tf.gather(x, [3], 1), /not in \[0, 2\]/);
  x.dispose();
  const actual = runAll();
  assert.deepEqual(actual, expected);
  // and no tensors leak from the kernels
  const before = tf.memory().numTensors;
  runAll();
  assert.equal(tf.memory().numTensors, before);
});

test('wasm Identity and a same-dtype Cast share the input memory; each tensor lives until its own dispose', async () => {
  await initBackend('wasm');
  const backend = tf.backend() as tf.KernelBackend & { refCount(dataId: object): number };
  const x = tf.tensor2d([1.5, -2, 3, 4], [2, 2]);
  const clone = tf.clone(x);
  const same = tf.cast(x, 'float32');
  const converted = tf.cast(x, 'int32');
  assert.equal(backend.refCount(x.dataId), 3, 'x, its clone and its same-dtype cast share one buffer');
  assert.notEqual(converted.dataId, x.dataId, 'a cast to another dtype gets its own buffer');
  assert.deepEqual([...converted.dataSync()], [1, -2, 3, 4]);
  x.dispose();
  assert.deepEqual([...clone.dataSync()], [1.5, -2, 3, 4], 'the clone outlives the original');
  clone.dispose();
  assert.deepEqual([...same.dataSync()], [1.5, -2, 3, 4]);
  const before = tf.memory().numBytes;
  same.dispose();
  assert.ok(tf.memory().numBytes < before, 'the last reference frees the buffer');
  assert.equal(backend.refCount(same.dataId), 0);
  converted.dispose();
  // gradients through clone and cast (tf.grad's own Identity calls) are unchanged
  const g = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.clone(tf.cast(v, 'float32')), v)))(tf.tensor1d([2, -3]));
  assert.deepEqual([...g.dataSync()], [4, -6]);
});
