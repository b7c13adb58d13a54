// loadDataset: find the files, read every image's and mask's size from its header (so corrupt
// files and mismatched masks are caught before any training), and build the samples.
import { basename, extname, relative } from 'node:path';
import { UserError, isUserError } from '../../common/errors.ts';
import { checkDecodes, checkMaskSize, imageSize } from './images.ts';
import { findDataset, type FoundImage } from './layout.ts';
import type { Dataset, Sample, SkippedFile, Split } from './types.ts';

export interface LoadOptions {
  /** List and leave out unreadable images instead of stopping at the first. Every image is
   * then decoded once here, so that a file whose header is fine but whose data is not (a
   * truncated PNG, a corrupt JPEG) is skipped too, not found later mid-training. */
  skipBad?: boolean;
}

async function mapLimited<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

export async function loadDataset(dir: string, options: LoadOptions = {}): Promise<Dataset> {
  const found = findDataset(dir);
  const skipped: SkippedFile[] = [];

  const toSample = async (image: FoundImage, split: Split): Promise<Sample | null> => {
    try {
      const { width, height } = await imageSize(image.path);
      if (options.skipBad) await checkDecodes(image.path);
      for (const maskPath of image.maskPaths) {
        const mask = await imageSize(maskPath);
        if (options.skipBad) await checkDecodes(maskPath);
        checkMaskSize(mask, { width, height, path: relative(found.root, image.path) }, maskPath);
      }
      const label: 0 | 1 = image.defect === 'good' ? 0 : 1;
      const id = `${image.defect}/${basename(image.path, extname(image.path))}`;
      return { path: image.path, split, defect: image.defect, label, maskPaths: image.maskPaths, id, width, height };
    } catch (error) {
      const unreadableFile = isUserError(error) && error.message.startsWith('cannot read image');
      if (options.skipBad && unreadableFile) {
        skipped.push({ path: error.where ?? image.path, reason: error.message });
        return null;
      }
      throw error;
    }
  };
  const samples = async (images: FoundImage[], split: Split) =>
    (await mapLimited(images, 16, (image) => toSample(image, split))).filter((s): s is Sample => s !== null);
  const good = (paths: string[]) => paths.map((path) => ({ path, defect: 'good', maskPaths: [] }));

  const train = await samples(good(found.train), 'train');
  const validation = await samples(good(found.validation), 'validation');
  const validationAnomalies = await samples(found.validationAnomalies, 'validation');
  const test = await samples(found.test, 'test');
  if (train.length === 0) throw new UserError('no readable training images left after skipping bad files', { where: found.root });
  if (test.length === 0 && found.test.length > 0) throw new UserError('no readable test images left after skipping bad files', { where: found.root });
  const dataset: Dataset = {
    root: found.root,
    layout: found.layout,
    train,
    validation,
    validationAnomalies,
    test,
    defectTypes: [...new Set(test.map((s) => s.defect))].filter((d) => d !== 'good').sort(),
    hasMasks: found.hasMasks,
    skipped,
  };
  if (found.defectsConfig) dataset.defectsConfig = found.defectsConfig;
  return dataset;
}
