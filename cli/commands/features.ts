// dadfc features: runs a frozen backbone on images and writes each tap of each image as
// DIR/<image-stem>.<tap>.npy (float32, NHWC with batch 1), for inspection and for comparing
// with other tools (np.load).
import type { Command } from 'commander';
import { mkdirSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import { UserError } from '../../common/errors.ts';
import { BACKBONE_ARCHS, type BackboneArch } from '../../compiler/backbones.ts';
import { initBackend, describeBackend } from '../../runtime/backend.ts';
import { loadBackbone } from '../../runtime/backbones/index.ts';
import { canonicalTap } from '../../compiler/weights/index.ts';
import { FeatureCache, imageKeyOfFile } from '../../runtime/features/index.ts';
import { imageSize, readImageRgb } from '../../runtime/data/index.ts';
import { encodeNpy } from '../../formats/index.ts';
import { writeFileAtomic } from '../files.ts';

interface FeaturesOptions {
  backbone: string;
  alpha?: string;
  weights?: string;
  random?: boolean;
  seed: string;
  size: string;
  taps?: string;
  out: string;
  backend?: string;
  cache?: boolean;
  batch: string;
}

function positiveInt(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new UserError(`${flag} must be a positive integer, got ${value}`, { where: flag, exitCode: 2 });
  return n;
}

/** RGB 0..255 at size×size; an image already at that size is not resampled. */
export async function readImageAtSize(path: string, size: number): Promise<Float32Array> {
  const { width, height } = await imageSize(path);
  return readImageRgb(path, width === size && height === size ? undefined : size);
}

export function register(program: Command): void {
  program
    .command('features')
    .description('Run a frozen backbone on images; write DIR/<image-stem>.<tap>.npy (float32, NHWC, batch 1) per tap.')
    .argument('<images...>', 'image files (PNG, JPEG, BMP, TIFF)')
    .requiredOption('--backbone <name>', `one of ${BACKBONE_ARCHS.join(', ')}`)
    .option('--alpha <a>', 'width multiplier of the MobileNets (default 1)')
    .option('--weights <file>', 'pretrained weights: TF.js model folder or model.json, .safetensors, .pth')
    .option('--random', 'seeded random weights instead (not pretrained; for tests)')
    .option('--seed <n>', 'seed of --random', '0')
    .option('--size <px>', 'images are resized to size×size', '256')
    .option('--taps <a,b,c>', "taps (default: the backbone's default taps)")
    .option('-o, --out <dir>', 'output folder', 'features')
    .option('--backend <name>', 'tensorflow-gpu | tensorflow | wasm | cpu (default: best available)')
    .option('--cache', 'reuse/store features in the feature cache ($DADF_CACHE_DIR or .dadf-cache/)')
    .option('--batch <n>', 'images per forward pass', '4')
    .action(async (images: string[], opts: FeaturesOptions) => {
      if (!BACKBONE_ARCHS.includes(opts.backbone as BackboneArch)) {
        throw new UserError(`unknown backbone ${opts.backbone}`, { where: '--backbone', hint: `one of ${BACKBONE_ARCHS.join(', ')}`, exitCode: 2 });
      }
      if (!opts.weights && !opts.random) {
        throw new UserError('no weights: give --weights FILE, or --random for a seeded random (not pretrained) network', {
          where: '--weights',
          hint: 'See docs/backbones.md for how to get or export pretrained weights.',
          exitCode: 2,
        });
      }
      if (opts.weights && opts.random) throw new UserError('give either --weights or --random, not both', { exitCode: 2 });
      const size = positiveInt(opts.size, '--size');
      const batch = positiveInt(opts.batch, '--batch');
      const alpha = opts.alpha === undefined ? 1 : Number(opts.alpha);
      if (!(alpha > 0)) throw new UserError(`--alpha must be a positive number, got ${opts.alpha}`, { where: '--alpha', exitCode: 2 });
      const requested = opts.taps
        ? opts.taps
            .split(',')
            .map((t) => t.trim())
            .filter(Boolean)
        : [];
      const backend = await initBackend(opts.backend);
      process.stderr.write(`${describeBackend(backend)}\n`);
      const backbone = await loadBackbone({
        arch: opts.backbone as BackboneArch,
        alpha,
        weights: opts.weights ? resolve(opts.weights) : undefined,
        random: opts.random,
        seed: positiveIntOrZero(opts.seed),
        taps: requested,
      });
      // Files are named by the taps as written on the command line (conv_pw_3_relu stays so).
      const fileTap = new Map(requested.map((t) => [canonicalTap(backbone.info.arch, alpha, t) ?? t, t]));
      process.stderr.write(`backbone: ${backbone.label}\ntaps: ${backbone.taps.join(', ')}\n`);
      // Each image is written once: no point keeping features in memory.
      const cache = FeatureCache.open({ dir: opts.cache ? undefined : null, maxMemoryBytes: 0 });
      mkdirSync(opts.out, { recursive: true });
      const stems = new Set<string>();
      const started = Date.now();
      for (let start = 0; start < images.length; start += batch) {
        const chunk = images.slice(start, start + batch);
        const features = await cache.getOrCompute(
          chunk.map((path) => ({ key: imageKeyOfFile(path), load: () => readImageAtSize(path, size) })),
          backbone,
          size,
          batch,
        );
        chunk.forEach((path, i) => {
          let stem = basename(path, extname(path));
          while (stems.has(stem)) stem += '_';
          stems.add(stem);
          for (const tap of backbone.taps) {
            const shape = cache.shapeOf(backbone, size, tap)!;
            const file = join(opts.out, `${stem}.${fileTap.get(tap) ?? tap}.npy`);
            writeFileAtomic(file, encodeNpy(features[tap][i], shape));
          }
        });
      }
      const seconds = (Date.now() - started) / 1000;
      const s = cache.stats;
      process.stdout.write(
        `wrote ${images.length * backbone.taps.length} files to ${opts.out} (${images.length} images, ${(images.length / seconds).toFixed(2)} images/s` +
          `${opts.cache ? `, cache: ${s.diskHits + s.memoryHits} hits, ${s.computed} computed` : ''})\n`,
      );
      backbone.dispose();
    });
}

function positiveIntOrZero(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new UserError(`--seed must be a non-negative integer, got ${value}`, { where: '--seed', exitCode: 2 });
  return n;
}
