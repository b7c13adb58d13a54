// Data sets of kinds the project was not built on, made from a plain one (hazelnut_toy): grey,
// 16-bit, RGBA, BMP, TIFF, upper-case extensions, spaces, non-square and mixed sizes, masks at
// half scale or named NN.png, a defect type without masks, no test/good, one or two training
// images, and two broken on purpose (masks of another shape, two test images with one name).
// docs/results.md ("Data the project had not seen") runs padim-025 and patchcore-025 on each.
//
//   node --import tsx scripts/odd-data.ts [--from DIR] [--out DIR] [SET ...]
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { encode as encodeBmp } from 'bmp-ts';
import sharp, { type Sharp } from 'sharp';

type Size = [number, number];

interface SetOptions {
  /** Size of the i-th image (of each folder); default 256×256. */
  size?: (i: number) => Size;
  maskSize?: (i: number) => Size;
  image?: (s: Sharp) => Sharp;
  mask?: (s: Sharp) => Sharp;
  ext?: string;
  maskExt?: string;
  /** The file name for a source stem. */
  name?: (stem: string) => string;
  maskName?: (name: string) => string;
  trainCount?: number;
  noGood?: boolean;
  noTest?: boolean;
  /** Five more defect images in test/unlabelled/, without masks. */
  unlabelled?: boolean;
  /** Each test/good image also as a JPEG of the same name. */
  sameStem?: boolean;
}

const square: Size = [256, 256];
const SETS: Record<string, SetOptions> = {
  plain: {},
  gray: { image: (s) => s.greyscale().toColourspace('b-w') },
  gray16: { image: (s) => s.greyscale().toColourspace('grey16') },
  png16: { image: (s) => s.toColourspace('rgb16') },
  rgba: { image: (s) => s.ensureAlpha(0.8) },
  bmp: { ext: '.bmp' },
  tif: { ext: '.tif', maskExt: '.tiff' },
  upper: { ext: '.PNG', maskExt: '.PNG' },
  upperjpg: { ext: '.JPG' },
  spaces: { name: (stem) => `img ${stem} x` },
  nonsquare: { size: () => [320, 200] },
  mixed: { size: (i) => ([square, [300, 220], [180, 240]] as Size[])[i % 3] },
  masksize: { maskSize: () => [128, 128] },
  'masksize-aspect': { maskSize: () => [128, 100] },
  plainmasks: { maskName: (name) => name },
  'maskgray-alpha': { mask: (s) => s.toColourspace('b-w').ensureAlpha() },
  'nomask-defect': { unlabelled: true },
  nogood: { noGood: true },
  tiny1: { trainCount: 1 },
  tiny2: { trainCount: 2 },
  goodonly: { noTest: true },
  dupstem: { sameStem: true },
};

const stemOf = (file: string) => file.replace(/\.[^.]+$/, '');
const filesIn = (dir: string) => readdirSync(dir).sort();

async function write(source: string, target: string, size: Size, change: (s: Sharp) => Sharp, kernel: 'nearest' | 'lanczos3'): Promise<void> {
  mkdirSync(dirname(target), { recursive: true });
  const resized = change(sharp(source).resize(size[0], size[1], { fit: 'fill', kernel }));
  if (!target.endsWith('.bmp')) {
    await resized.toFile(target);
    return;
  }
  // libvips writes no BMP: 24-bit through bmp-ts, which takes ABGR.
  const { data, info } = await resized.removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  const abgr = Buffer.alloc(info.width * info.height * 4);
  for (let i = 0; i < info.width * info.height; i++) abgr.set([255, data[i * 3 + 2], data[i * 3 + 1], data[i * 3]], i * 4);
  writeFileSync(target, encodeBmp({ width: info.width, height: info.height, data: abgr, bitPP: 24 }).data);
}

async function makeSet(from: string, root: string, o: SetOptions): Promise<void> {
  rmSync(root, { recursive: true, force: true });
  const size = o.size ?? (() => square);
  const image = o.image ?? ((s) => s);
  const mask = o.mask ?? ((s) => s.toColourspace('b-w'));
  const ext = o.ext ?? '.png';
  const name = o.name ?? ((stem) => stem);
  const train = filesIn(join(from, 'train/good')).slice(0, o.trainCount);
  for (const [i, file] of train.entries())
    await write(join(from, 'train/good', file), join(root, 'train/good', name(stemOf(file)) + ext), size(i), image, 'lanczos3');
  if (o.noTest) return;
  if (!o.noGood) {
    for (const [i, file] of filesIn(join(from, 'test/good')).entries()) {
      await write(join(from, 'test/good', file), join(root, 'test/good', name(stemOf(file)) + ext), size(i), image, 'lanczos3');
      if (o.sameStem) await write(join(from, 'test/good', file), join(root, 'test/good', `${name(stemOf(file))}.jpg`), size(i), image, 'lanczos3');
    }
  }
  // hazelnut_toy's one defect type, with masks named NN.png in ground_truth/colour.
  for (const [i, file] of filesIn(join(from, 'test/colour')).entries()) {
    const stem = name(stemOf(file));
    await write(join(from, 'test/colour', file), join(root, 'test/colour', stem + ext), size(i), image, 'lanczos3');
    const maskFile = (o.maskName ?? ((n) => `${n}_mask`))(stem) + (o.maskExt ?? '.png');
    await write(
      join(from, 'ground_truth/colour', `${stemOf(file)}.png`),
      join(root, 'ground_truth/colour', maskFile),
      (o.maskSize ?? size)(i),
      mask,
      'nearest',
    );
    if (o.unlabelled && i < 5) await write(join(from, 'test/colour', file), join(root, 'test/unlabelled', stem + ext), size(i), image, 'lanczos3');
  }
}

const { values, positionals } = parseArgs({
  options: { from: { type: 'string', default: '../shared/data/hazelnut_toy' }, out: { type: 'string', default: 'odd-data' } },
  allowPositionals: true,
});
const names = positionals.length > 0 ? positionals : Object.keys(SETS);
for (const set of names) {
  if (!SETS[set]) throw new Error(`unknown set ${set}; the sets: ${Object.keys(SETS).join(', ')}`);
  await makeSet(resolve(values.from), join(resolve(values.out), set), SETS[set]);
  process.stdout.write(`${join(values.out, set)}\n`);
}
