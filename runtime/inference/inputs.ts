// What `dadfc predict` scores: image files, folders (searched recursively) and glob patterns,
// expanded to a sorted list before any work starts. Each image gets an id, its path below the
// inputs' common folder without the extension, so outputs mirror the inputs' tree.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, extname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { glob, isDynamicPattern } from 'tinyglobby';
import { UserError } from '../../common/errors.ts';
import { IMAGE_EXTENSIONS, kindOf } from '../data/layout.ts';

export interface PredictInput {
  path: string;
  /** e.g. `broken_large/000`: unique, used to name the outputs. */
  id: string;
}

const isImage = (name: string) => IMAGE_EXTENSIONS.has(extname(name).toLowerCase());
const IMAGE_LIST = [...IMAGE_EXTENSIONS].join(', ');

function imagesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => !e.name.startsWith('.') && isImage(e.name) && kindOf(e.parentPath, e) === 'file')
    .map((e) => join(e.parentPath, e.name));
}

/** The folder part of a pattern before its first glob segment. */
function staticBase(pattern: string): string {
  const parts = pattern.split(/[\\/]/);
  const first = parts.findIndex((p) => isDynamicPattern(p));
  return parts.slice(0, first).join('/') || (isAbsolute(pattern) ? '/' : '.');
}

async function expandOne(arg: string): Promise<string[]> {
  if (existsSync(arg)) {
    if (statSync(arg).isDirectory()) {
      const found = imagesUnder(arg);
      if (found.length === 0)
        throw new UserError('folder has no images', { where: arg, hint: `predict looks for ${IMAGE_LIST} files in it and its sub-folders` });
      return found;
    }
    if (!isImage(arg))
      throw new UserError(`not an image file (${extname(arg) || 'no extension'})`, {
        where: arg,
        hint: `give ${IMAGE_LIST} files, folders of them, or a quoted glob such as 'dir/**/*.png'`,
      });
    return [resolve(arg)];
  }
  if (!isDynamicPattern(arg))
    throw new UserError('no such image, folder or pattern', { where: arg, hint: 'give image files, folders, or a quoted glob such as "dir/**/*.png"' });
  const base = staticBase(arg);
  const rest = relative(base, arg) || arg;
  const found = existsSync(base) ? (await glob(rest.split(sep).join('/'), { cwd: base, absolute: true, onlyFiles: true })).filter(isImage) : [];
  if (found.length === 0) throw new UserError('the pattern matches no image files', { where: arg, hint: `check the pattern; predict reads ${IMAGE_LIST}` });
  return found;
}

function commonFolder(paths: string[]): string {
  let common = dirname(paths[0]);
  for (const p of paths) while (!(p.startsWith(common + sep) || common === dirname(common))) common = dirname(common);
  return common;
}

/** Every image the arguments name, once each, sorted; a wrong argument stops here, before any scoring. */
export async function expandInputs(args: string[]): Promise<PredictInput[]> {
  const paths = new Set<string>();
  for (const arg of args) for (const p of await expandOne(arg)) paths.add(resolve(p));
  const sorted = [...paths].sort();
  const root = commonFolder(sorted);
  return sorted.map((path) => ({ path, id: relative(root, path).slice(0, -extname(path).length).split(sep).join('/') }));
}
