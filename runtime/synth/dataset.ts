// Writes a seeded synthetic data set in the MVTec AD layout:
//   train/good/000.png, test/good/000.png, test/<defect>/000.png, ground_truth/<defect>/000_mask.png
// plus synthetic.json (how it was made; also marks the folder as safe to regenerate).
import { existsSync } from 'node:fs';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { UserError } from '../../common/errors.ts';
import { hashSeed } from './rng.ts';
import { checkSize, defectsFor, renderSample } from './sample.ts';

export interface SyntheticDatasetOptions {
  dir: string;
  seed: number;
  /** One of SYNTH_CATEGORIES; default 'carpet'. */
  category?: string;
  /** Image side in pixels; default 256. */
  size?: number;
  /** Normal training images; default 60. */
  trainCount?: number;
  /** Normal test images; default 10. */
  testGoodCount?: number;
  /** Test images per defect type; default 5. */
  testPerDefect?: number;
  /** Defect types; default every type that applies to the category. */
  defects?: string[];
  /** Replace train/, test/ and ground_truth/ even when the folder was not made by this generator. */
  overwrite?: boolean;
}

export interface SyntheticDataset {
  dir: string;
  /** Files written per folder: 'train/good', 'test/good', 'test/<defect>', 'ground_truth/<defect>'. */
  counts: Record<string, number>;
}

const MARKER = 'synthetic.json';

/** The renderSample seed of image `index` in `split`/`kind` ('good' or a defect) of the data set made with `seed`. */
export function sampleSeed(seed: number, split: 'train' | 'test', kind: string, index: number): number {
  return hashSeed(seed, split, kind, index);
}
const SPLIT_DIRS = ['train', 'test', 'ground_truth'];

function checkCount(name: string, value: number, min: number): number {
  if (!Number.isInteger(value) || value < min || value > 100000) {
    throw new UserError(`${name} must be an integer from ${min} to 100000, got ${value}`, { where: name, exitCode: 2 });
  }
  return value;
}

async function clearPrevious(dir: string, overwrite: boolean): Promise<void> {
  if (!existsSync(dir)) return;
  const entries = await readdir(dir);
  const previous = entries.filter((e) => SPLIT_DIRS.includes(e));
  if (previous.length === 0) return;
  if (!overwrite && !entries.includes(MARKER)) {
    throw new UserError(`${dir} already holds a data set (${previous.join(', ')}) that this generator did not write`, {
      where: dir,
      hint: 'choose an empty folder, or pass overwrite to replace it',
    });
  }
  for (const e of previous) await rm(path.join(dir, e), { recursive: true, force: true });
}

function png(data: Uint8Array, size: number, channels: 1 | 3, file: string): Promise<unknown> {
  const pixels = sharp(Buffer.from(data.buffer, data.byteOffset, data.byteLength), { raw: { width: size, height: size, channels } });
  // Without b-w, sharp widens one-channel input to RGB; masks must stay 8-bit grey.
  return (channels === 1 ? pixels.toColourspace('b-w') : pixels).png({ compressionLevel: 6 }).toFile(file);
}

/** Runs `jobs` with at most `limit` in flight (PNG encoding runs on libvips threads). */
async function runLimited(jobs: Array<() => Promise<unknown>>, limit: number): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < jobs.length) await jobs[next++]();
  };
  await Promise.all(Array.from({ length: Math.min(limit, jobs.length) }, worker));
}

export async function generateSyntheticDataset(options: SyntheticDatasetOptions): Promise<SyntheticDataset> {
  const category = options.category ?? 'carpet';
  const size = options.size ?? 256;
  checkSize(size);
  const applicable = defectsFor(category);
  const defects = options.defects ?? [...applicable];
  for (const d of defects) {
    if (!applicable.includes(d) || d === 'good') {
      throw new UserError(`defect '${d}' does not apply to synthetic category '${category}'`, {
        where: 'defects',
        hint: `use some of: ${applicable.join(', ')}`,
        exitCode: 2,
      });
    }
  }
  if (!Number.isFinite(options.seed)) throw new UserError(`seed must be a number, got ${options.seed}`, { where: 'seed', exitCode: 2 });
  const trainCount = checkCount('trainCount', options.trainCount ?? 60, 1);
  const testGoodCount = checkCount('testGoodCount', options.testGoodCount ?? 10, 0);
  const testPerDefect = checkCount('testPerDefect', options.testPerDefect ?? 5, 1);
  const dir = path.resolve(options.dir);

  await clearPrevious(dir, options.overwrite ?? false);
  const counts: Record<string, number> = {};
  const jobs: Array<() => Promise<unknown>> = [];
  const folders = new Set<string>();
  const name = (i: number) => String(i).padStart(3, '0');

  const plan = (split: 'train' | 'test', defect: string | null, count: number): void => {
    const kind = defect ?? 'good';
    const imageDir = path.join(dir, split, kind);
    folders.add(imageDir);
    counts[`${split}/${kind}`] = count;
    if (defect) {
      folders.add(path.join(dir, 'ground_truth', defect));
      counts[`ground_truth/${defect}`] = count;
    }
    for (let i = 0; i < count; i++) {
      jobs.push(async () => {
        const sample = renderSample(sampleSeed(options.seed, split, kind, i), category, defect, size);
        const writes = [png(sample.image, size, 3, path.join(imageDir, `${name(i)}.png`))];
        if (defect) {
          const mask = sample.mask.map((v) => (v ? 255 : 0));
          writes.push(png(mask, size, 1, path.join(dir, 'ground_truth', defect, `${name(i)}_mask.png`)));
        }
        await Promise.all(writes);
      });
    }
  };
  plan('train', null, trainCount);
  if (testGoodCount > 0) plan('test', null, testGoodCount);
  for (const d of defects) plan('test', d, testPerDefect);

  for (const f of folders) await mkdir(f, { recursive: true });
  await runLimited(jobs, 4);
  const description = { generator: 'dadf synthetic', seed: options.seed, category, size, defects, counts };
  await writeFile(path.join(dir, MARKER), JSON.stringify(description, null, 2) + '\n');
  return { dir, counts };
}
