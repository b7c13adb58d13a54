// Small data sets written to a temp folder at test time (never committed): PNGs via sharp.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import sharp from 'sharp';

export function tempDir(prefix = 'dadf-data-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Writes a PNG of `channels` (1 = grey, 3 = RGB) filled by `value(x, y, c)`. */
export async function writePng(
  path: string,
  width: number,
  height: number,
  channels: 1 | 3,
  value: (x: number, y: number, c: number) => number,
): Promise<void> {
  mkdirSync(dirname(path), { recursive: true });
  const data = Buffer.alloc(width * height * channels);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) for (let c = 0; c < channels; c++) data[(y * width + x) * channels + c] = value(x, y, c);
  await sharp(data, { raw: { width, height, channels } }).png().toFile(path);
}

export const rgb = (path: string, size = 16) => writePng(path, size, size, 3, (x, y, c) => (x * 7 + y * 3 + c * 50) % 256);
/** A mask with a square defect at (x0, y0) of side `side`, value `value`. */
export const mask = (path: string, size = 16, x0 = 4, y0 = 4, side = 4, value = 255) =>
  writePng(path, size, size, 1, (x, y) => (x >= x0 && x < x0 + side && y >= y0 && y < y0 + side ? value : 0));

export function writeFile(path: string, content: string | Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content);
}

/** A tiny MVTec AD layout: 3 train, test good x2 and crack x2 with NNN_mask.png. */
export async function makeMvtec(root: string, size = 16): Promise<void> {
  for (const n of ['000', '001', '002']) await rgb(join(root, 'train/good', `${n}.png`), size);
  for (const n of ['000', '001']) await rgb(join(root, 'test/good', `${n}.png`), size);
  for (const n of ['000', '001']) {
    await rgb(join(root, 'test/crack', `${n}.png`), size);
    await mask(join(root, 'ground_truth/crack', `${n}_mask.png`), size, 2 + Number(n) * 6);
  }
}

const LOCO_CONFIG = [
  { defect_name: 'missing_part', pixel_value: 255, saturation_threshold: 10, relative_saturation: false },
  { defect_name: 'scratch', pixel_value: 200, saturation_threshold: 0.5, relative_saturation: true },
];

/** A tiny MVTec LOCO AD layout with two ground-truth channels for one logical anomaly. */
export async function makeLoco(root: string, size = 16): Promise<void> {
  writeFile(join(root, 'defects_config.json'), JSON.stringify(LOCO_CONFIG));
  for (const n of ['000', '001']) await rgb(join(root, 'train/good', `${n}.png`), size);
  await rgb(join(root, 'validation/good/000.png'), size);
  await rgb(join(root, 'test/good/000.png'), size);
  await rgb(join(root, 'test/logical_anomalies/000.png'), size);
  await mask(join(root, 'ground_truth/logical_anomalies/000/000.png'), size, 1, 1, 4, 255);
  await mask(join(root, 'ground_truth/logical_anomalies/000/001.png'), size, 8, 8, 4, 200);
  await rgb(join(root, 'test/structural_anomalies/000.png'), size);
  await mask(join(root, 'ground_truth/structural_anomalies/000/000.png'), size, 3, 3, 5, 200);
}
