// The exported graph equals the tfjs model for every option the export writes: backbones,
// memory query, subnet layers, permutation, score sources, upsampling, fusion, smoothing and
// image scores. Random weights: parity does not need training.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend } from '../../runtime/backend.ts';
import { decodeModel } from '../../runtime/export/onnx-proto.ts';
import { buildOnnxModel } from '../../runtime/export/index.ts';
import { modelDims } from '../../compiler/dims.ts';
import { createModel } from '../../runtime/model/index.ts';
import { isUserError } from '../../common/errors.ts';
import { tinySpec } from '../model/tiny-spec.ts';
import { bothEngines, maxAbsDiff, normalisedMaxDiff } from './helpers.ts';

const TOLERANCE = 1e-4;

// The pure-JS backend computes in plain float32, the reference the graph must equal. (tfjs on
// wasm differs from it by up to ~2e-4 normalised on deeper nets: XNNPACK sums in another
// order and the flows amplify it; run.test.ts compares against wasm on a trained tiny run.)
before(async () => {
  await initBackend('cpu');
});

function assertParity(label: string, r: Awaited<ReturnType<typeof bothEngines>>) {
  assert.equal(r.onnx.maps.length, r.tfjs.maps.length, `${label}: map sizes`);
  const maps = normalisedMaxDiff(r.tfjs.maps, r.onnx.maps);
  const scores = maxAbsDiff(r.tfjs.scores, r.onnx.scores);
  assert.ok(maps < TOLERANCE, `${label}: normalised maps differ by ${maps}`);
  assert.ok(scores < TOLERANCE, `${label}: scores differ by ${scores}`);
}

const mobilenet = { input: { size: 64 }, transformer: { memory: { tokens: 16 } } } as const;

test('tiny (MobileNetV1, flow scores, bilinear, mean, max) matches tfjs', async () => {
  assertParity('tiny', await bothEngines(tinySpec(mobilenet), 3));
});

test('memory query from features, subnet with conv3x3 + gelu + relu, no permutation, no alternation', async () => {
  const spec = tinySpec({
    ...mobilenet,
    transformer: { memory: { tokens: 16, query: 'features' } },
    flow: { subnet: ['conv3x3', 'gelu', 'dwconv3x3', 'relu', 'conv1x1'], permute: 'none', alternate: false, steps: 3 },
  });
  assertParity('features query', await bothEngines(spec));
});

test('flows conditioned on a position code match tfjs', async () => {
  assertParity('position', await bothEngines(tinySpec({ ...mobilenet, flow: { position: 8 } })));
});

test('reconstruction scores, nearest upsampling, product fusion, smoothing, top-1% image score', async () => {
  const spec = tinySpec({
    ...mobilenet,
    score: { source: 'reconstruction', self_weight: 0.3, upsample: 'nearest', fuse: 'product', smooth: 2, image: 'top1pct' },
  });
  assertParity('reconstruction', await bothEngines(spec));
});

test('flow maps fused by product and max, sum; self and memory error maps; scored subsets', async () => {
  for (const score of [
    { fuse: 'product', image: 'mean', scales: [1, 3] },
    { fuse: 'max', smooth: 1.5 },
    { source: 'self', fuse: 'sum' },
    { source: 'memory', scales: [2] },
  ] as const) {
    assertParity(JSON.stringify(score), await bothEngines(tinySpec({ ...mobilenet, score: score as never })));
  }
});

test('flow over the prior only, with a 1-channel split check and dwconv1x1', async () => {
  const spec = tinySpec({ ...mobilenet, flow: { over: ['prior'], subnet: ['dwconv1x1', { type: 'leaky_relu', slope: 0.2 }, 'conv1x1'] } });
  assertParity('prior only', await bothEngines(spec));
});

test('MobileNetV2, ResNet18 and VGG16 backbones match their tfjs builds', async () => {
  const backbones = [
    { arch: 'mobilenet_v2', alpha: 0.35, random: true, taps: ['block_2', 'block_5', 'block_12'] },
    { arch: 'resnet18', alpha: 1, random: true, taps: ['layer1', 'layer2', 'layer3'] },
    // Shallow VGG taps keep the random weights small (deep VGG blocks take seconds to draw).
    { arch: 'vgg16', alpha: 1, random: true, taps: ['conv1_2', 'conv2_2', 'conv3_3'] },
  ] as const;
  for (const backbone of backbones) {
    const tokens = backbone.arch === 'vgg16' ? 256 : 16;
    const spec = tinySpec({ ...mobilenet, backbone: backbone as never, transformer: { memory: { tokens } } });
    assertParity(backbone.arch, await bothEngines(spec, 1));
  }
});

test('a fixed batch size is written into the graph; dynamic batch is a symbol', async () => {
  const spec = tinySpec(mobilenet);
  const dims = modelDims(spec);
  const model = createModel(spec, dims, 1);
  try {
    const input = {
      name: 'b',
      spec,
      dims,
      weights: model.getWeights(),
      backbone: { arch: spec.backbone.arch, alpha: spec.backbone.alpha, random: true, seed: 0, taps: dims.scales.map((s) => s.tap) },
      normalization: dims.backbone.normalization,
    };
    const fixed = decodeModel(buildOnnxModel({ ...input, batch: 4 }).bytes);
    assert.equal(fixed.opsetImport[0].version, 17);
    assert.deepEqual(
      fixed.graph.input[0].type.tensorType.shape.dim.map((d) => d.dimValue),
      [4, 64, 64, 3],
    );
    assert.deepEqual(
      fixed.graph.output.map((o) => o.name),
      ['maps', 'scores'],
    );
    const dynamic = decodeModel(buildOnnxModel({ ...input, batch: 'dynamic' }).bytes);
    assert.equal(dynamic.graph.input[0].type.tensorType.shape.dim[0].dimParam, 'batch');
    // Every trained weight of the model is an initializer (under its own name).
    const names = new Set(dynamic.graph.initializer.map((t) => t.name));
    for (const w of ['embed.0.w', 'memory.Add.pos_embed', 'blocks.0.qkv.w', 'head.2.w', 'flow.1.norm.g', 'flow.0.step1.offset'])
      assert.ok(names.has(w), `initializer ${w}`);
    assert.throws(
      () => buildOnnxModel({ ...input, batch: 0 }),
      (e: unknown) => isUserError(e) && /batch/.test((e as Error).message),
    );
    // A smoothing border wider than the map cannot be written: the error names the node.
    const wide = tinySpec({ ...mobilenet, score: { smooth: 40 } });
    assert.throws(
      () => buildOnnxModel({ ...input, spec: wide, dims: modelDims(wide) }),
      (e: unknown) => isUserError(e) && /score\.smooth/.test((e as Error).message),
    );
  } finally {
    model.dispose();
  }
});
