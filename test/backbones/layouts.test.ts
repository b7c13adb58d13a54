// The weight layouts agree with the backbone table the checker uses: every tap's channel
// count, for every architecture and published width; and tap aliases resolve.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { alphasOf, backboneInfo, BACKBONE_ARCHS } from '../../compiler/backbones.ts';
import { archLayout, canonicalTap, tensorsForTaps } from '../../compiler/weights/index.ts';

test('each unit of each layout ends with the channel count the backbone table gives its tap', () => {
  for (const arch of BACKBONE_ARCHS) {
    for (const alpha of alphasOf(arch)) {
      const info = backboneInfo(arch, alpha);
      const layout = archLayout(arch, alpha);
      assert.deepEqual(
        layout.units.map((u) => u.tap),
        info.taps.map((t) => t.name),
        `${arch} α${alpha}`,
      );
      let channels = 3;
      layout.units.forEach((unit, i) => {
        const last = [...unit.tensors].reverse().find((t) => t.kind === 'bn_var' || t.kind === 'bias');
        if (last) channels = last.shape[0];
        assert.equal(channels, info.taps[i].channels, `${arch} α${alpha} ${unit.tap}`);
      });
    }
  }
});

test('known parameter counts: ResNet18 to layer4 and MobileNetV1 α1.0 without head', () => {
  const count = (arch: Parameters<typeof archLayout>[0], alpha: number, taps: string[], kinds: string[]) =>
    tensorsForTaps(archLayout(arch, alpha), taps)
      .filter((t) => kinds.includes(t.kind))
      .reduce((n, t) => n + t.shape.reduce((a, b) => a * b, 1), 0);
  // torchvision resnet18: 11,689,512 parameters incl. fc (513,000); BN running stats are buffers.
  assert.equal(count('resnet18', 1, ['layer4'], ['conv', 'bias', 'bn_gamma', 'bn_beta']), 11_689_512 - 513_000);
  // wide_resnet50_2: 68,883,240 incl. fc (2,049,000).
  assert.equal(count('wide_resnet50_2', 1, ['layer4'], ['conv', 'bias', 'bn_gamma', 'bn_beta']), 68_883_240 - 2_049_000);
  // vgg16 features: 14,714,688.
  assert.equal(count('vgg16', 1, ['pool5'], ['conv', 'bias']), 14_714_688);
  // Keras MobileNet α1.0 without top: 3,228,864 (incl. BN moving stats).
  assert.equal(count('mobilenet_v1', 1, ['conv_pw_13'], ['conv', 'depthwise', 'bn_gamma', 'bn_beta', 'bn_mean', 'bn_var']), 3_228_864);
});

test('tap aliases: Keras layer names resolve to table taps; unknown names do not', () => {
  assert.equal(canonicalTap('mobilenet_v1', 1, 'conv_pw_3_relu'), 'conv_pw_3');
  assert.equal(canonicalTap('mobilenet_v2', 0.35, 'block_2_add'), 'block_2');
  assert.equal(canonicalTap('mobilenet_v2', 0.35, 'expanded_conv_project_BN'), 'block_0');
  assert.equal(canonicalTap('resnet18', 1, 'layer3'), 'layer3');
  assert.equal(canonicalTap('resnet18', 1, 'layer5'), undefined);
  assert.equal(canonicalTap('mobilenet_v1', 1, 'conv_pw_14_relu'), undefined);
});

test('the table derived from the structure has the published taps: channels and strides of Keras and torchvision', () => {
  const table = (arch: Parameters<typeof backboneInfo>[0], alpha = 1) => backboneInfo(arch, alpha).taps.map((t) => [t.channels, t.stride]);
  // Keras MobileNet α1.0: conv_pw_1..13.
  assert.deepEqual(table('mobilenet_v1'), [
    [64, 2],
    [128, 4],
    [128, 4],
    [256, 8],
    [256, 8],
    [512, 16],
    [512, 16],
    [512, 16],
    [512, 16],
    [512, 16],
    [512, 16],
    [1024, 32],
    [1024, 32],
  ]);
  assert.deepEqual(
    table('mobilenet_v1', 0.25)
      .map(([c]) => c)
      .slice(0, 3),
    [16, 32, 32],
  );
  // Keras MobileNetV2 α1.0: expanded_conv, block_1..16.
  assert.deepEqual(table('mobilenet_v2'), [
    [16, 2],
    [24, 4],
    [24, 4],
    [32, 8],
    [32, 8],
    [32, 8],
    [64, 16],
    [64, 16],
    [64, 16],
    [64, 16],
    [96, 16],
    [96, 16],
    [96, 16],
    [160, 32],
    [160, 32],
    [160, 32],
    [320, 32],
  ]);
  assert.deepEqual(
    table('mobilenet_v2', 0.35)
      .map(([c]) => c)
      .slice(0, 4),
    [8, 8, 8, 16],
  );
  // torchvision ResNets: layer1..4.
  assert.deepEqual(table('resnet18'), [
    [64, 4],
    [128, 8],
    [256, 16],
    [512, 32],
  ]);
  assert.deepEqual(table('wide_resnet50_2'), [
    [256, 4],
    [512, 8],
    [1024, 16],
    [2048, 32],
  ]);
  // torchvision VGG16: conv1_1 … pool5, and the default taps (the last conv of blocks 3-5).
  const vgg16 = backboneInfo('vgg16');
  assert.deepEqual(vgg16.taps.map((t) => t.name).slice(0, 6), ['conv1_1', 'conv1_2', 'pool1', 'conv2_1', 'conv2_2', 'pool2']);
  assert.deepEqual(table('vgg16').at(-1), [512, 32]);
  assert.deepEqual(vgg16.defaultTaps, ['conv3_3', 'conv4_3', 'conv5_3']);
  assert.deepEqual(backboneInfo('vgg19').defaultTaps, ['conv3_4', 'conv4_4', 'conv5_4']);
});
