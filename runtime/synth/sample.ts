// One synthetic sample in memory. The normal scene and the defect draw from separate seeded
// streams, so renderSample(s, c, d) and renderSample(s, c, null) share the same normal image
// and the mask is exactly the set of pixels where they differ.
import { UserError } from '../../common/errors.ts';
import { PAINTERS, defectsForKind } from './defects.ts';
import { Rng, hashSeed } from './rng.ts';
import { CATEGORIES } from './scenes.ts';

export interface SyntheticSample {
  /** HWC RGB, size×size×3. */
  image: Uint8Array;
  /** size×size, 1 where the defect changed the pixel, else 0. */
  mask: Uint8Array;
}

export const SYNTH_CATEGORIES: readonly string[] = Object.keys(CATEGORIES);

/** Defect types that make sense for a category (textures have no parts to lose). */
export function defectsFor(category: string): readonly string[] {
  return defectsForKind(categoryInfo(category).kind);
}

function categoryInfo(category: string) {
  const info = CATEGORIES[category];
  if (!info) {
    throw new UserError(`unknown synthetic category '${category}'`, {
      where: 'category',
      hint: `use one of: ${SYNTH_CATEGORIES.join(', ')}`,
      exitCode: 2,
    });
  }
  return info;
}

export function checkSize(size: number): void {
  if (!Number.isInteger(size) || size < 32 || size > 2048) {
    throw new UserError(`synthetic image size must be an integer from 32 to 2048, got ${size}`, { where: 'size', exitCode: 2 });
  }
}

function toBytes(image: Float32Array): Uint8Array {
  const out = new Uint8Array(image.length);
  for (let i = 0; i < image.length; i++) {
    const v = Math.round(image[i]);
    out[i] = v < 0 ? 0 : v > 255 ? 255 : v;
  }
  return out;
}

/** Renders one image of `category`, with `defect` painted on it (or none), deterministic in all arguments. */
export function renderSample(seed: number, category: string, defect: string | null, size = 256): SyntheticSample {
  const info = categoryInfo(category);
  checkSize(size);
  if (defect !== null && !defectsForKind(info.kind).includes(defect)) {
    throw new UserError(`defect '${defect}' does not apply to synthetic category '${category}'`, {
      where: 'defects',
      hint: `use some of: ${defectsForKind(info.kind).join(', ')}`,
      exitCode: 2,
    });
  }
  const scene = info.render(new Rng(hashSeed(seed, 'scene', category, size)), size);
  const normal = toBytes(scene.image);
  const mask = new Uint8Array(size * size);
  if (defect === null) return { image: normal, mask };

  // A defect must change a visible number of pixels; a rare draw that barely touches the
  // image (e.g. a stain almost the colour of the carpet) is redrawn from the next stream.
  const minPixels = Math.max(8, Math.round(0.0005 * size * size));
  let best: SyntheticSample | null = null;
  let bestCount = 0;
  for (let attempt = 0; attempt < 8; attempt++) {
    const out = new Float32Array(scene.image);
    PAINTERS[defect](scene, out, new Rng(hashSeed(seed, 'defect', category, defect, attempt)));
    const image = toBytes(out);
    const attemptMask = new Uint8Array(size * size);
    let count = 0;
    for (let p = 0; p < attemptMask.length; p++) {
      if (image[3 * p] !== normal[3 * p] || image[3 * p + 1] !== normal[3 * p + 1] || image[3 * p + 2] !== normal[3 * p + 2]) {
        attemptMask[p] = 1;
        count++;
      }
    }
    if (count > bestCount) {
      best = { image, mask: attemptMask };
      bestCount = count;
    }
    if (count >= minPixels) break;
  }
  if (!best) throw new Error(`synthetic defect '${defect}' changed no pixel (seed ${seed}, ${category}, ${size}px)`);
  return best;
}
