// dadfc features and dadfc weights inspect, run in-process.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import * as tf from '@tensorflow/tfjs-core';
import { main } from '../../cli/main.ts';
import { decodeNpy, writeSafetensors } from '../../formats/index.ts';
import { loadBackbone } from '../../runtime/backbones/index.ts';
import { randomNativeWeights } from '../../runtime/weights/random.ts';
import { useCpu } from './helpers.ts';

const scratch = mkdtempSync(join(tmpdir(), 'dadf-features-cli-'));
process.on('exit', () => rmSync(scratch, { recursive: true, force: true }));

async function capture(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const w1 = process.stdout.write.bind(process.stdout);
  const w2 = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((s: string) => ((out += s), true)) as typeof process.stdout.write;
  process.stderr.write = ((s: string) => ((err += s), true)) as typeof process.stderr.write;
  try {
    const code = await main(argv);
    return { code, out, err };
  } finally {
    process.stdout.write = w1;
    process.stderr.write = w2;
  }
}

async function writePng(path: string, size: number, seed: number): Promise<Uint8Array> {
  const raw = Buffer.alloc(size * size * 3);
  for (let i = 0; i < raw.length; i++) raw[i] = (i * 37 + seed * 101 + (((i / 3) | 0) % 17)) & 255;
  await sharp(raw, { raw: { width: size, height: size, channels: 3 } })
    .png()
    .toFile(path);
  return raw;
}

test('dadfc features writes <stem>.<tap>.npy, float32 NHWC batch 1, equal to the backbone on the same pixels', async () => {
  await useCpu();
  const weights = join(scratch, 'r18.safetensors');
  writeSafetensors(weights, randomNativeWeights('resnet18', 1, 2, ['layer1', 'layer2']));
  const a = join(scratch, 'part-a.png');
  const raw = await writePng(a, 48, 1);
  await writePng(join(scratch, 'part-b.png'), 48, 2);
  const out = join(scratch, 'feats');
  const r = await capture([
    'features',
    '--backbone',
    'resnet18',
    '--weights',
    weights,
    '--size',
    '48',
    '--taps',
    'layer1,layer2',
    '--backend',
    'cpu',
    '-o',
    out,
    a,
    join(scratch, 'part-b.png'),
  ]);
  assert.equal(r.code, 0, r.err);
  assert.match(r.err, /resnet18 \(pretrained: safetensors/);
  assert.deepEqual(readdirSync(out).sort(), ['part-a.layer1.npy', 'part-a.layer2.npy', 'part-b.layer1.npy', 'part-b.layer2.npy']);
  const l2 = decodeNpy(readFileSync(join(out, 'part-a.layer2.npy')), 'features.npy');
  assert.deepEqual(l2.shape, [1, 6, 6, 128]);
  const backbone = await loadBackbone({ arch: 'resnet18', weights, taps: ['layer2'] });
  const direct = backbone.extract(tf.tensor4d(Float32Array.from(raw), [1, 48, 48, 3]));
  assert.deepEqual(l2.data, direct.layer2.dataSync());
  backbone.dispose();
});

test('dadfc features without weights or with an unknown backbone fails with a clear message', async () => {
  const img = join(scratch, 'x.png');
  await writePng(img, 16, 3);
  let r = await capture(['features', '--backbone', 'resnet18', '--backend', 'cpu', img]);
  assert.equal(r.code, 2);
  assert.match(r.err, /no weights: give --weights FILE, or --random/);
  r = await capture(['features', '--backbone', 'resnet19', '--random', img]);
  assert.equal(r.code, 2);
  assert.match(r.err, /unknown backbone resnet19/);
  const notWeights = join(scratch, 'w.bin');
  writeFileSync(notWeights, 'nothing here');
  r = await capture(['features', '--backbone', 'resnet18', '--weights', notWeights, '--backend', 'cpu', img]);
  assert.equal(r.code, 1);
  assert.match(r.err, /not a weight file/);
});

test('dadfc features --random labels the output as not pretrained', async () => {
  const img = join(scratch, 'y.png');
  await writePng(img, 32, 4);
  const r = await capture([
    'features',
    '--backbone',
    'mobilenet_v1',
    '--alpha',
    '0.25',
    '--random',
    '--size',
    '32',
    '--taps',
    'conv_pw_1_relu',
    '--backend',
    'cpu',
    '-o',
    join(scratch, 'rand'),
    img,
  ]);
  assert.equal(r.code, 0, r.err);
  assert.match(r.err, /RANDOM init, seed 0: not pretrained/);
  assert.deepEqual(decodeNpy(readFileSync(join(scratch, 'rand', 'y.conv_pw_1_relu.npy')), 'features.npy').shape, [1, 16, 16, 16]);
});

test('dadfc weights inspect: format, architecture, parameters, buildable taps', async () => {
  const weights = join(scratch, 'r34-part.safetensors');
  writeSafetensors(weights, randomNativeWeights('resnet34', 1, 2, ['layer1', 'layer2']));
  const r = await capture(['weights', 'inspect', weights]);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /format: +safetensors/);
  assert.match(r.out, /architecture: resnet34/);
  assert.match(r.out, /buildable taps: layer1, layer2\n/);
  assert.match(r.out, /not buildable: layer3, layer4/);
  const bad = await capture(['weights', 'inspect', join(scratch, 'missing.pth')]);
  assert.equal(bad.code, 1);
  assert.match(bad.err, /not found/);
});
