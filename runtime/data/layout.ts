// Finding a data set's files: which layout a folder follows, and every image with its masks.
// No pixels are decoded here; sizes come from file headers.
import { existsSync, readdirSync, readFileSync, statSync, type Dirent } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import { UserError } from '../../common/errors.ts';
import type { DefectConfig, Layout } from './types.ts';

export const IMAGE_EXTENSIONS = new Set(['.png', '.jpg', '.jpeg', '.bmp', '.tif', '.tiff', '.webp']);

const LAYOUT_HINT = [
  'Expected one of:',
  '  MVTec AD:   train/good/*.png, test/<type>/*.png, ground_truth/<type>/NNN_mask.png',
  '  MVTec LOCO: train/good, validation/good, test/{good,logical_anomalies,structural_anomalies},',
  '              ground_truth/<type>/NNN/000.png, defects_config.json',
  '  plain:      train/good (or good/), test/<type>/ (test/good = normal),',
  '  any layout: optional validation/good and validation/<defect>/ (labelled anomalies for thresholds),',
  '              with optional masks in validation/ground_truth/<defect>/',
  '              optional ground_truth/<type>/ (or masks/<type>/) with NN.png or NN_mask.png per test image',
  '  good only:  train/good/, good/, or the images themselves: trains and predicts, no metrics',
].join('\n');

/** A test image found on disk, before its size is read. */
export interface FoundImage {
  path: string;
  defect: string;
  maskPaths: string[];
}

export interface FoundDataset {
  root: string;
  layout: Layout;
  train: string[];
  validation: string[];
  /** Labelled anomalies of validation/<defect>/ (masks from validation/ground_truth/<defect>/ when given). */
  validationAnomalies: FoundImage[];
  test: FoundImage[];
  hasMasks: boolean;
  defectsConfig?: DefectConfig[];
}

const isDir = (p: string) => existsSync(p) && statSync(p).isDirectory();
const stem = (p: string) => basename(p, extname(p));

/** What a directory entry is, following a symbolic link (subsets are often built of links). */
export function kindOf(dir: string, e: Dirent): 'file' | 'dir' | 'other' {
  if (e.isFile()) return 'file';
  if (e.isDirectory()) return 'dir';
  if (!e.isSymbolicLink()) return 'other';
  try {
    const target = statSync(join(dir, e.name));
    return target.isFile() ? 'file' : target.isDirectory() ? 'dir' : 'other';
  } catch {
    return 'file'; // a dangling link to an image: reading it names the file
  }
}

function subfolders(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => kindOf(dir, e) === 'dir' && !e.name.startsWith('.'))
    .map((e) => e.name)
    .sort();
}

/** Image files directly in `dir`, sorted; an empty folder is an error naming what was expected. */
function imagesIn(dir: string, what: string): string[] {
  const files = readdirSync(dir, { withFileTypes: true })
    .filter((e) => !e.name.startsWith('.') && IMAGE_EXTENSIONS.has(extname(e.name).toLowerCase()) && kindOf(dir, e) === 'file')
    .map((e) => join(dir, e.name))
    .sort();
  if (files.length === 0) {
    throw new UserError(`folder has no images (${what})`, {
      where: dir,
      hint: `Expected image files (${[...IMAGE_EXTENSIONS].join(', ')}) in this folder.`,
    });
  }
  return files;
}

/**
 * Test (or labelled validation) images of one folder: as imagesIn, and no two may share a stem,
 * because maps, masks and reports name a test image by its file name without extension.
 */
function labelledImagesIn(dir: string, what: string): string[] {
  const images = imagesIn(dir, what);
  const byStem = new Map<string, string[]>();
  for (const path of images) byStem.set(stem(path), [...(byStem.get(stem(path)) ?? []), basename(path)]);
  const clash = [...byStem.values()].find((names) => names.length > 1);
  if (clash) {
    throw new UserError(`two ${what} images share the name ${stem(clash[0])} (${clash.join(', ')})`, {
      where: dir,
      hint: 'Maps, masks and reports name a test image by its file name without extension: rename or remove one of them.',
    });
  }
  return images;
}

function maskFolderOf(root: string): string | null {
  for (const name of ['ground_truth', 'masks']) if (isDir(join(root, name))) return join(root, name);
  return null;
}

/** Masks of one defect folder, by image stem: `NNN_mask.*` (MVTec) or `NNN.*` (plain). */
function masksByStem(dir: string): Map<string, { path: string; suffixed: boolean }> {
  const out = new Map<string, { path: string; suffixed: boolean }>();
  for (const path of imagesIn(dir, 'masks')) {
    const s = stem(path);
    if (s.endsWith('_mask')) out.set(s.slice(0, -'_mask'.length), { path, suffixed: true });
    else if (!out.has(s)) out.set(s, { path, suffixed: false });
  }
  return out;
}

function missingMaskError(missing: string[], maskDir: string): UserError {
  const shown = missing.slice(0, 5).join(', ') + (missing.length > 5 ? `, ... (${missing.length} in all)` : '');
  return new UserError(`test image${missing.length > 1 ? 's' : ''} in a defect folder without a mask: ${shown}`, {
    where: maskDir,
    hint: 'Every test image outside test/good needs a ground-truth mask with the same name (NNN_mask.png or NNN.png).',
  });
}

function readDefectsConfig(path: string): DefectConfig[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new UserError(`defects_config.json is not valid JSON: ${(error as Error).message}`, { where: path });
  }
  const ok =
    Array.isArray(parsed) &&
    parsed.every(
      (e) =>
        e &&
        typeof e === 'object' &&
        typeof e.defect_name === 'string' &&
        Number.isInteger(e.pixel_value) &&
        e.pixel_value >= 1 &&
        e.pixel_value <= 255 &&
        typeof e.saturation_threshold === 'number' &&
        e.saturation_threshold > 0 &&
        typeof e.relative_saturation === 'boolean',
    );
  if (!ok) {
    throw new UserError('defects_config.json does not list defects as expected', {
      where: path,
      hint: 'Expected an array of { "defect_name": string, "pixel_value": 1..255, "saturation_threshold": number > 0, "relative_saturation": boolean }.',
    });
  }
  return parsed as DefectConfig[];
}

function findLoco(root: string): FoundDataset {
  const configPath = join(root, 'defects_config.json');
  if (!existsSync(configPath)) {
    throw new UserError('MVTec LOCO layout without defects_config.json', { where: root, hint: LAYOUT_HINT });
  }
  const defectsConfig = readDefectsConfig(configPath);
  const need = (p: string) => {
    if (!isDir(join(root, p))) throw new UserError(`missing folder ${p}/ (MVTec LOCO layout)`, { where: root, hint: LAYOUT_HINT });
    return join(root, p);
  };
  const train = imagesIn(need('train/good'), 'train/good');
  const { validation, validationAnomalies } = findValidationFolder(root);
  const testDir = need('test');
  const test: FoundImage[] = [];
  for (const defect of subfolders(testDir)) {
    for (const path of labelledImagesIn(join(testDir, defect), `test/${defect}`)) {
      if (defect === 'good') {
        test.push({ path, defect, maskPaths: [] });
        continue;
      }
      const gtDir = join(root, 'ground_truth', defect, stem(path));
      if (!isDir(gtDir)) throw missingMaskError([`${defect}/${basename(path)}`], join(root, 'ground_truth', defect));
      test.push({ path, defect, maskPaths: imagesIn(gtDir, `ground truth of ${defect}/${basename(path)}`) });
    }
  }
  return { root, layout: 'loco', train, validation, validationAnomalies, test, hasMasks: true, defectsConfig };
}

function findMvtecOrPlain(root: string, goodDir: string): FoundDataset {
  const train = imagesIn(goodDir, 'good training images');
  const testDir = join(root, 'test');
  const types = subfolders(testDir);
  if (types.length === 0) {
    throw new UserError('test/ has no sub-folders', { where: testDir, hint: 'Put test images in test/good and test/<defect type>/.\n' + LAYOUT_HINT });
  }
  const maskRoot = maskFolderOf(root);
  const test: FoundImage[] = [];
  let allSuffixed = true;
  for (const defect of types) {
    const images = labelledImagesIn(join(testDir, defect), `test/${defect}`);
    if (defect === 'good' || !maskRoot) {
      for (const path of images) test.push({ path, defect, maskPaths: [] });
      continue;
    }
    const maskDir = join(maskRoot, defect);
    if (!isDir(maskDir)) {
      // A defect type labelled per image only: image metrics count it, pixel metrics leave it out.
      for (const path of images) test.push({ path, defect, maskPaths: [] });
      continue;
    }
    const masks = masksByStem(maskDir);
    const missing: string[] = [];
    for (const path of images) {
      const mask = masks.get(stem(path));
      if (!mask) missing.push(`${defect}/${basename(path)}`);
      else {
        allSuffixed &&= mask.suffixed;
        test.push({ path, defect, maskPaths: [mask.path] });
      }
    }
    if (missing.length > 0) throw missingMaskError(missing, maskDir);
  }
  const standard = goodDir === join(root, 'train', 'good') && maskRoot === join(root, 'ground_truth') && allSuffixed && types.includes('good');
  return { root, layout: standard ? 'mvtec' : 'plain', train, ...findValidationFolder(root), test, hasMasks: maskRoot !== null };
}

/**
 * A data set's own validation folder, when it has one: validation/good replaces the split carved
 * from the training images, and validation/<defect>/ holds labelled anomalies, which only the
 * thresholds use (F1-max, docs/thresholds.md). Their masks, optional as a whole, are
 * validation/ground_truth/<defect>/NNN_mask.png or NNN.png.
 */
function findValidationFolder(root: string): { validation: string[]; validationAnomalies: FoundImage[] } {
  const dir = join(root, 'validation');
  if (!isDir(dir)) return { validation: [], validationAnomalies: [] };
  const validation = isDir(join(dir, 'good')) ? imagesIn(join(dir, 'good'), 'validation/good') : [];
  const maskRoot = join(dir, 'ground_truth');
  const validationAnomalies: FoundImage[] = [];
  for (const defect of subfolders(dir).filter((d) => d !== 'good' && d !== 'ground_truth')) {
    const masks = isDir(join(maskRoot, defect)) ? masksByStem(join(maskRoot, defect)) : null;
    const images = labelledImagesIn(join(dir, defect), `validation/${defect}`);
    const missing = masks ? images.filter((p) => !masks.has(stem(p))).map((p) => `${defect}/${basename(p)}`) : [];
    if (missing.length > 0) throw missingMaskError(missing, join(maskRoot, defect));
    for (const path of images) validationAnomalies.push({ path, defect, maskPaths: masks ? [masks.get(stem(path))!.path] : [] });
  }
  return { validation, validationAnomalies };
}

function hasImages(dir: string): boolean {
  return readdirSync(dir).some((name) => !name.startsWith('.') && IMAGE_EXTENSIONS.has(extname(name).toLowerCase()));
}

function goodOnly(root: string, goodDir: string): FoundDataset {
  return { root, layout: 'good-only', train: imagesIn(goodDir, 'good training images'), ...findValidationFolder(root), test: [], hasMasks: false };
}

/** Decides the layout of `dir` and lists its files; any mismatch is one clear UserError. */
export function findDataset(dir: string): FoundDataset {
  const root = resolve(dir);
  if (!isDir(root)) {
    throw new UserError(existsSync(root) ? 'data path is not a folder' : 'data folder not found', { where: root, hint: LAYOUT_HINT });
  }
  const testHas = (name: string) => isDir(join(root, 'test', name));
  if (existsSync(join(root, 'defects_config.json')) || testHas('logical_anomalies') || testHas('structural_anomalies')) {
    return findLoco(root);
  }
  if (isDir(join(root, 'test'))) {
    for (const good of ['train/good', 'good', 'train']) {
      if (isDir(join(root, good))) return findMvtecOrPlain(root, join(root, good));
    }
  }
  // Normal images alone: enough to train (and then predict); test/ is needed only for metrics.
  for (const good of ['train/good', 'good']) {
    if (isDir(join(root, good))) return goodOnly(root, join(root, good));
  }
  if (hasImages(root)) return goodOnly(root, root);
  const seen = readdirSync(root)
    .filter((n) => !n.startsWith('.'))
    .slice(0, 8);
  throw new UserError(`folder matches no known data set layout (it holds: ${seen.join(', ') || 'nothing'})`, { where: root, hint: LAYOUT_HINT });
}
