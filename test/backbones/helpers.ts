// Shared by the backbone tests: where ../shared is, and images decoded the way the CLI does.
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const SHARED = process.env.DADF_SHARED ?? resolve(repoRoot, '../shared');
export const WEIGHTS = join(SHARED, 'weights');
const HAZELNUT = join(SHARED, 'data', 'hazelnut_toy');
/** The default backbone bundled with the project (weights/), present on every checkout. */
const BUNDLED_WEIGHTS = join(repoRoot, 'weights');

/** The folder of a MobileNet weight set: bundled when the project ships it, else in ../shared. */
export function weightsFolder(folder: string): string {
  const bundled = join(BUNDLED_WEIGHTS, folder);
  return existsSync(join(bundled, 'model.json')) ? bundled : join(WEIGHTS, folder);
}

/** A reason to skip, or false when the shared folder has what the test needs. */
export function sharedMissing(...parts: string[]): string | false {
  const path = join(SHARED, ...parts);
  return existsSync(path) ? false : `shared data absent (${path}); set DADF_SHARED to run this test`;
}

export async function useCpu(): Promise<void> {
  await tf.setBackend('cpu');
  await tf.ready();
}

/** RGB float32 0..255, size×size, as [n, size, size, 3]. */
export async function loadImages(files: string[], size: number): Promise<tf.Tensor4D> {
  const pixels = new Float32Array(files.length * size * size * 3);
  for (let i = 0; i < files.length; i++) {
    const raw = await sharp(files[i]).removeAlpha().resize(size, size).raw().toBuffer();
    pixels.set(Float32Array.from(raw), i * size * size * 3);
  }
  return tf.tensor4d(pixels, [files.length, size, size, 3]);
}

/**
 * Real photos when ../shared has hazelnut_toy; otherwise seeded smooth synthetic images, so
 * tests of the bundled backbone run everywhere (any natural-looking input exercises every op).
 */
export async function sampleImages(count: number, size: number): Promise<{ images: tf.Tensor4D; source: string }> {
  if (existsSync(HAZELNUT)) return { images: await loadImages(hazelnutImages(count), size), source: 'hazelnut photos' };
  const pixels = new Float32Array(count * size * size * 3);
  for (let n = 0; n < count; n++) {
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        for (let c = 0; c < 3; c++) {
          const wave = Math.sin((x * (c + 1)) / 7 + n) * Math.cos((y * (3 - c)) / 5 - n);
          const blob = Math.exp(-((x - size / 2) ** 2 + (y - size / 3) ** 2) / (size * size * 0.02));
          pixels[((n * size + y) * size + x) * 3 + c] = 127.5 + 90 * wave * (1 - blob) + 60 * blob;
        }
      }
    }
  }
  return { images: tf.tensor4d(pixels, [count, size, size, 3]), source: 'synthetic images' };
}

export function hazelnutImages(count: number): string[] {
  const dir = join(HAZELNUT, 'train', 'good');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.jpg'))
    .sort()
    .slice(0, count)
    .map((f) => join(dir, f));
}

/** max |a − b| / max |b|: the relative error the acceptance check uses. */
export function relativeError(a: Float32Array | number[], b: Float32Array | number[]): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < b.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return diff / (scale || 1);
}
