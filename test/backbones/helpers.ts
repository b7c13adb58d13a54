// Shared by the backbone tests: where ../shared is, and images decoded the way the CLI does.
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const SHARED = process.env.DADF_SHARED ?? resolve(repoRoot, '../shared');
export const WEIGHTS = join(SHARED, 'weights');
export const HAZELNUT = join(SHARED, 'data', 'hazelnut_toy');

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

export function hazelnutImages(count: number): string[] {
  const dir = join(HAZELNUT, 'train', 'good');
  return readdirSync(dir).filter((f) => f.endsWith('.jpg')).sort().slice(0, count).map((f) => join(dir, f));
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
