// Every TensorOps op gives the same numbers in both engines: the tfjs ops on the pure-JS
// backend (plain float32) and the ONNX ops' graph run by onnxruntime. Inputs and weights are
// seeded random; batch is dynamic in the graph, as in an export.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import * as ort from 'onnxruntime-node';
import { initBackend } from '../../runtime/backend.ts';
import { FLOAT, GraphBuilder } from '../../runtime/export/graph.ts';
import { encodeModel } from '../../runtime/export/onnx-proto.ts';
import { ONNX_OPSET } from '../../runtime/export/index.ts';
import { mulberry32, normalArray } from '../../runtime/model/prng.ts';
import type { NamedWeight } from '../../runtime/model/params.ts';
import { OnnxOps } from '../../runtime/tensor-ops/onnx.ts';
import { TfjsOps } from '../../runtime/tensor-ops/tfjs.ts';
import type { TensorOps } from '../../runtime/tensor-ops/types.ts';

before(async () => {
  await initBackend('cpu');
});

const TOLERANCE = 2e-5;

/** A forward on inputs (batch first) and named weights, generic in the engine. */
type Body = <T>(ops: TensorOps<T>, inputs: T[]) => T;

function random(shape: number[], seed: number): Float32Array {
  return normalArray(
    shape.reduce((a, b) => a * b, 1),
    0,
    1,
    mulberry32(seed),
  );
}

async function bothEngines(
  inputShapes: number[][],
  weights: Record<string, number[]>,
  body: Body,
): Promise<{ tfjs: Float32Array; onnx: Float32Array; opTypes: string[] }> {
  const inputs = inputShapes.map((s, i) => random(s, 10 + i));
  const named: Record<string, NamedWeight> = Object.fromEntries(Object.entries(weights).map(([n, s], i) => [n, { shape: s, data: random(s, 100 + i) }]));
  const variables = new Map(Object.entries(named).map(([n, w]) => [n, tf.variable(tf.tensor(w.data, w.shape))]));
  const tops = new TfjsOps(undefined, { variable: (n) => variables.get(n)!, buffer: (n) => Array.from(named[n].data) });
  const tfjs = tf.tidy(
    () =>
      body(
        tops,
        inputs.map((x, i) => tf.tensor(x, inputShapes[i])),
      ).dataSync() as Float32Array,
  );
  tops.dispose();
  for (const v of variables.values()) v.dispose();

  const g = new GraphBuilder();
  const ops = new OnnxOps(g, named);
  const values = inputShapes.map((s, i) => ops.value(g.input(`x${i}`, FLOAT, ['batch', ...s.slice(1)]), [-1, ...s.slice(1)]));
  const y = body(ops, values);
  g.output(
    'y',
    ops.ref(y),
    FLOAT,
    y.shape.map((d) => (d === -1 ? 'batch' : d)),
  );
  const bytes = encodeModel({
    irVersion: 8,
    producerName: 'test',
    producerVersion: '0',
    graph: { name: 'ops', node: g.nodes, initializer: g.initializers, input: g.inputs, output: g.outputs },
    opsetImport: [{ domain: '', version: ONNX_OPSET }],
  });
  const session = await ort.InferenceSession.create(bytes);
  try {
    const feeds = Object.fromEntries(inputs.map((x, i) => [`x${i}`, new ort.Tensor('float32', x, inputShapes[i])]));
    const out = await session.run(feeds);
    return { tfjs, onnx: out.y.data as Float32Array, opTypes: g.nodes.map((n) => n.opType) };
  } finally {
    await session.release();
  }
}

async function assertSame(label: string, inputShapes: number[][], weights: Record<string, number[]>, body: Body): Promise<string[]> {
  const { tfjs, onnx, opTypes } = await bothEngines(inputShapes, weights, body);
  assert.equal(onnx.length, tfjs.length, `${label}: sizes`);
  let worst = 0;
  for (let i = 0; i < tfjs.length; i++) worst = Math.max(worst, Math.abs(tfjs[i] - onnx[i]) / Math.max(1, Math.abs(tfjs[i])));
  assert.ok(worst < TOLERANCE, `${label}: engines differ by ${worst}`);
  return opTypes;
}

test('element-wise ops, with scalars, broadcast weights and folded weights', async () => {
  const w = { g: [4], v: [2, 3, 4] };
  await assertSame('arithmetic', [[2, 3, 4]], w, (ops, [x]) =>
    ops.div(ops.sub(ops.add(ops.mul(x, ops.param('g')), 0.5), ops.param('v')), ops.add(ops.square(ops.param('g')), 1)),
  );
  await assertSame('unary', [[2, 3, 4]], {}, (ops, [x]) =>
    ops.concat(
      [ops.neg(x), ops.exp(x), ops.log(ops.add(ops.abs(x), 0.1)), ops.sqrt(ops.abs(x)), ops.tanh(x), ops.relu(x), ops.leakyRelu(x, 0.1), ops.gelu(x)],
      2,
    ),
  );
  await assertSame(
    'max and squared difference',
    [
      [2, 5],
      [2, 5],
    ],
    {},
    (ops, [a, b]) => ops.concat([ops.maximum(a, b), ops.maximum(a, 0.2), ops.squaredDifference(a, b)], 1),
  );
  // A weight's softplus is folded into one initializer with tfjs' float32 kernel.
  const folded = await assertSame('folded softplus', [[2, 4]], { gamma: [4] }, (ops, [x]) =>
    ops.mul(x, ops.mul(ops.softplus(ops.mul(ops.param('gamma'), 0.5)), 0.2)),
  );
  assert.deepEqual(folded, ['Mul', 'Identity'], 'one product by the folded scale (and the output)');
});

test('reductions and top-k', async () => {
  for (const keep of [false, true])
    await assertSame(`reductions keepDims ${keep}`, [[2, 3, 4]], {}, (ops, [x]) =>
      ops.concat([ops.mean(x, [2], keep), ops.sum(x, [-1], keep), ops.max(x, [2], keep), ops.min(x, [2], keep), ops.prod(x, [2], keep)], 1),
    );
  await assertSame('mean over two axes', [[2, 3, 4]], {}, (ops, [x]) => ops.mean(x, [1, 2]));
  await assertSame('top-k', [[3, 20]], {}, (ops, [x]) => ops.topk(x, 4));
});

test('shape ops', async () => {
  await assertSame('reshape, transpose', [[2, 3, 4]], {}, (ops, [x]) => ops.transpose(ops.reshape(x, [-1, 4, 3]), [0, 2, 1]));
  await assertSame('split by count and sizes, concat', [[4, 6]], {}, (ops, [x]) => {
    const [a, b] = ops.split(x, 2, 0);
    const [c, d] = ops.split(a, [2, 4], 1);
    return ops.concat([ops.add(b, ops.concat([d, c], 1)), a], 1);
  });
  await assertSame(
    'stack, expand, squeeze',
    [
      [2, 3],
      [2, 3],
    ],
    {},
    (ops, [a, b]) => ops.squeeze(ops.expandDims(ops.stack([a, b], 1), 3), [3]),
  );
  await assertSame('repeat a weight per sample', [[3, 5]], { m: [5] }, (ops, [x]) => ops.add(x, ops.repeatBatch(ops.param('m'), x)));
  await assertSame('permute channels', [[2, 3, 5]], {}, (ops, [x]) => ops.permuteChannels(x, [4, 0, 3, 1, 2]));
  await assertSame('mirror pad', [[2, 5, 6, 1]], {}, (ops, [x]) =>
    ops.mirrorPad(x, [
      [0, 0],
      [2, 3],
      [1, 1],
      [0, 0],
    ]),
  );
});

test('layers: dense, matmul, norms, attention', async () => {
  await assertSame('dense', [[2, 3, 6]], { w: [6, 5], b: [5] }, (ops, [x]) => ops.dense(x, ops.param('w'), ops.param('b')));
  await assertSame('matmul by a transposed weight', [[2, 4, 6]], { bank: [7, 6] }, (ops, [x]) => ops.matmul(x, ops.param('bank'), true));
  await assertSame(
    'batched matmul',
    [
      [2, 4, 6],
      [2, 6, 3],
    ],
    {},
    (ops, [a, b]) => ops.matmul(a, b),
  );
  await assertSame('token norm', [[2, 3, 8]], { g: [8], b: [8] }, (ops, [x]) => ops.layerNorm(x, ops.param('g'), ops.param('b'), 1e-6, -1));
  await assertSame('map norm', [[2, 4, 4, 3]], { g: [4, 4, 3], b: [4, 4, 3] }, (ops, [x]) => ops.layerNorm(x, ops.param('g'), ops.param('b'), 1e-5, 1));
  await assertSame(
    'attention',
    [
      [2, 6, 8],
      [2, 6, 8],
      [2, 6, 8],
    ],
    {},
    (ops, [q, k, v]) => ops.attention(q, k, v, 2),
  );
});

test('convolutions and resizing (NHWC in both engines)', async () => {
  await assertSame('patch embedding', [[2, 8, 8, 3]], { w: [4, 4, 3, 5], b: [5] }, (ops, [x]) => ops.patchEmbed(x, ops.param('w'), ops.param('b')));
  for (const k of [1, 3]) {
    await assertSame(`conv ${k}×${k}`, [[2, 6, 6, 3]], { w: [k, k, 3, 4], b: [4] }, (ops, [x]) => ops.conv(x, ops.param('w'), ops.param('b')));
    await assertSame(`depthwise ${k}×${k}`, [[2, 6, 6, 3]], { w: [k, k, 3] }, (ops, [x]) => ops.depthwiseConv(x, ops.param('w')));
  }
  await assertSame('valid conv with a constant filter', [[2, 7, 7, 1]], {}, (ops, [x]) =>
    ops.convValid(
      x,
      ops.constant('taps', [3, 1, 1, 1], () => [0.25, 0.5, 0.25]),
    ),
  );
  for (const mode of ['bilinear', 'nearest'] as const) await assertSame(`resize ${mode}`, [[2, 5, 5, 2]], {}, (ops, [x]) => ops.resize(x, 12, mode));
});

test("a chain of map ops stays in ONNX's NCHW between convolutions: same numbers, two transposes", async () => {
  const w = { dw: [3, 3, 3], b: [3], g: [5, 5, 3], beta: [5, 5, 3], pw: [1, 1, 3, 4], pb: [4], code: [5, 5, 2] };
  const opTypes = await assertSame('map chain', [[2, 5, 5, 3]], w, (ops, [x]) => {
    const y = ops.add(ops.depthwiseConv(x, ops.param('dw')), ops.param('b'));
    const [a, c] = ops.split(ops.leakyRelu(y, 0.1), [2, 1], 3);
    const z = ops.concat([ops.permuteChannels(a, [1, 0]), ops.mul(c, 2)], 3);
    const normed = ops.layerNorm(z, ops.param('g'), ops.param('beta'), 1e-5, 1);
    const coded = ops.concat([normed, ops.repeatBatch(ops.param('code'), normed)], 3);
    const out = ops.conv(ops.sub(ops.squaredDifference(normed, x), ops.mean(normed, [3], true)), ops.param('pw'), ops.param('pb'));
    return ops.concat([out, ops.mul(coded, ops.sum(out, [1, 2, 3], true))], 3);
  });
  // Into the first convolution and out at the end; everything between runs on NCHW storage.
  assert.equal(opTypes.filter((t) => t === 'Transpose').length, 2, opTypes.join(' '));
  const maps = await assertSame('map channel reduction, upsampling, smoothing-style padding', [[2, 4, 4, 3]], { w: [3, 3, 3, 2] }, (ops, [x]) => {
    const m = ops.mean(ops.conv(x, ops.param('w')), [3]);
    const up = ops.resize(ops.expandDims(m, 3), 9, 'bilinear');
    return ops.squeeze(
      ops.mirrorPad(up, [
        [0, 0],
        [2, 2],
        [1, 1],
        [0, 0],
      ]),
      [3],
    );
  });
  assert.equal(maps.filter((t) => t === 'Transpose').length, 1, maps.join(' '));
});

test("backbone layers: strided convolutions with TF 'same' and explicit padding, depthwise, fused activations, max pooling", async () => {
  // 7 and 8 pixels: an odd total 'same' padding at stride 2 puts the extra row at the bottom/right.
  for (const size of [7, 8]) {
    for (const stride of [1, 2]) {
      await assertSame(`'same' conv stride ${stride} on ${size}×${size}, relu6`, [[2, size, size, 3]], { w: [3, 3, 3, 4], b: [4] }, (ops, [x]) =>
        ops.convLayer(ops.mul(x, 4), ops.param('w'), ops.param('b'), { stride, pad: 'same', activation: 'relu6' }),
      );
      await assertSame(`'same' depthwise stride ${stride} on ${size}×${size}`, [[2, size, size, 3]], { w: [3, 3, 3, 1], b: [3] }, (ops, [x]) =>
        ops.convLayer(x, ops.param('w'), ops.param('b'), { stride, pad: 'same', activation: 'linear', depthwise: true }),
      );
    }
    await assertSame(`7×7/2 pad 3, relu, then 3/2 max pool pad 1 on ${size}×${size}`, [[2, size, size, 3]], { w: [7, 7, 3, 4], b: [4] }, (ops, [x]) =>
      ops.maxPool(ops.convLayer(x, ops.param('w'), ops.param('b'), { stride: 2, pad: 3, activation: 'relu' }), 3, 2, 1),
    );
  }
  const opTypes = await assertSame('1×1 pad 0 stride 2, residual add, 2/2 max pool', [[2, 8, 8, 3]], { w: [1, 1, 3, 3], b: [3] }, (ops, [x]) => {
    const y = ops.convLayer(x, ops.param('w'), ops.param('b'), { stride: 1, pad: 0, activation: 'linear' });
    return ops.maxPool(ops.relu(ops.add(y, x)), 2, 2, 0);
  });
  // Convolution and pooling run on NCHW storage: one transpose in, one out.
  assert.equal(opTypes.filter((t) => t === 'Transpose').length, 2, opTypes.join(' '));
});
