// Backbone features/s at 256 px: MobileNetV1 α1.0 and α0.25 (real ImageNet weights from
// ../shared/weights when present, else seeded random ones of the same shape) on each backend,
// without the feature cache (every image through the network), with the memory cache warm,
// and with the float16 disk cache read by a fresh process-like cache object.
// Prints figures; not a test. Usage: node --import tsx bench/backbones.ts [--quick] [--resnet]
// Each backend runs in its own process (the wasm module fixes its thread count at start).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import type { BackboneArch } from '../compiler/backbones.ts';
import { initBackend } from '../runtime/backend.ts';
import { loadBackbone, type Backbone } from '../runtime/backbones/index.ts';
import { FeatureCache, type CacheImage } from '../runtime/features/index.ts';
import { seededUniform } from '../runtime/weights/random.ts';

const SIZE = 256;
const quick = process.argv.includes('--quick');
const withResnet = process.argv.includes('--resnet');
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const weightsDir = join(process.env.DADF_SHARED ?? resolve(repoRoot, '../shared'), 'weights');

const SETTINGS = [
  { label: 'cpu (pure JS)', backend: 'cpu', threads: 1 },
  { label: 'wasm 1 thread', backend: 'wasm', threads: 1 },
  { label: 'wasm 2 threads', backend: 'wasm', threads: 2 },
];

interface Net {
  label: string;
  arch: BackboneArch;
  alpha: number;
  folder?: string;
  taps: string[];
}

const NETS: Net[] = [
  { label: 'MobileNetV1 α1.0', arch: 'mobilenet_v1', alpha: 1, folder: 'mobilenet_v1_1.0_224', taps: ['conv_pw_3', 'conv_pw_5', 'conv_pw_11'] },
  { label: 'MobileNetV1 α0.25', arch: 'mobilenet_v1', alpha: 0.25, folder: 'mobilenet_v1_0.25_224', taps: ['conv_pw_3', 'conv_pw_5', 'conv_pw_11'] },
  ...(withResnet
    ? [
        { label: 'ResNet18 (random)', arch: 'resnet18' as const, alpha: 1, taps: ['layer1', 'layer2', 'layer3'] },
        { label: 'WRN50-2 (random)', arch: 'wide_resnet50_2' as const, alpha: 1, taps: ['layer1', 'layer2', 'layer3'] },
      ]
    : []),
];

function images(count: number): CacheImage[] {
  const uniform = seededUniform(11);
  return Array.from({ length: count }, (_, i) => {
    const pixels = new Float32Array(SIZE * SIZE * 3);
    for (let k = 0; k < pixels.length; k++) pixels[k] = Math.floor(uniform() * 256);
    return { key: `bench-image-${i}`, load: async () => pixels };
  });
}

async function timeIt(fn: () => Promise<void>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return (performance.now() - t0) / 1000;
}

async function measure(backbone: Backbone, count: number, batch: number): Promise<string> {
  const imgs = images(count);
  // Warm-up: kernels, wasm memory.
  await FeatureCache.open({ dir: null }).getOrCompute(imgs.slice(0, batch), backbone, SIZE, batch);
  const noCache = await timeIt(async () => {
    await FeatureCache.open({ dir: null, maxMemoryBytes: 0 }).getOrCompute(imgs, backbone, SIZE, batch);
  });
  const memory = FeatureCache.open({ dir: null });
  await memory.getOrCompute(imgs, backbone, SIZE, batch);
  const memHit = await timeIt(async () => void (await memory.getOrCompute(imgs, backbone, SIZE, batch)));
  const dir = mkdtempSync(join(tmpdir(), 'dadf-bench-cache-'));
  try {
    const writeDisk = await timeIt(async () => void (await FeatureCache.open({ dir }).getOrCompute(imgs, backbone, SIZE, batch)));
    const disk = FeatureCache.open({ dir });
    const diskHit = await timeIt(async () => void (await disk.getOrCompute(imgs, backbone, SIZE, batch)));
    const rate = (s: number) => (count / s).toFixed(count / s >= 100 ? 0 : 2).padStart(8);
    return `${rate(noCache)} ${rate(writeDisk)} ${rate(memHit)} ${rate(diskHit)}   (${(disk.diskUsage() / count / 1024).toFixed(0)} KiB/image on disk)`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function child(backend: string, threads: number): Promise<void> {
  const info = await initBackend(backend, { threads });
  const count = backend === 'cpu' ? 4 : quick ? 8 : 16;
  const batch = 4;
  console.log(`  ${info.description}; ${count} images of ${SIZE}×${SIZE}, batch ${batch}`);
  console.log(`  ${'network'.padEnd(22)} ${'no cache'.padStart(8)} ${'+ write'.padStart(8)} ${'memory'.padStart(8)} ${'disk f16'.padStart(8)}   images/s`);
  for (const net of NETS) {
    if (backend === 'cpu' && !net.arch.startsWith('mobilenet')) continue; // minutes per image on pure JS
    const folder = net.folder ? join(weightsDir, net.folder) : undefined;
    const pretrained = folder !== undefined && existsSync(folder);
    const backbone = await loadBackbone({
      arch: net.arch,
      alpha: net.alpha,
      taps: net.taps,
      ...(pretrained ? { weights: folder } : { random: true, seed: 0 }),
    });
    const line = await measure(backbone, count, batch);
    console.log(`  ${(net.label + (pretrained || !net.folder ? '' : ' (random)')).padEnd(22)} ${line}`);
    backbone.dispose();
  }
  console.log(`  tensors alive at the end: ${tf.memory().numTensors}`);
}

const childArg = process.argv.indexOf('--child');
if (childArg >= 0) {
  await child(process.argv[childArg + 1], Number(process.argv[childArg + 2]));
} else {
  console.log(`backbone features/s at ${SIZE} px (no cache: every image through the network; + write: also to a float16 disk cache;`);
  console.log('memory: warm in-memory cache; disk f16: a fresh cache reading the float16 files)');
  for (const s of SETTINGS) {
    if (quick && s.label === 'wasm 1 thread') continue;
    console.log(`\n${s.label}`);
    const r = spawnSync(
      process.execPath,
      ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', s.backend, String(s.threads), ...process.argv.slice(2)],
      {
        stdio: 'inherit',
      },
    );
    if (r.status !== 0) console.log(`  (failed with status ${r.status})`);
  }
}
