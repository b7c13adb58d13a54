// Reading images and masks with sharp (BMPs through bmp.ts). Images become RGB float (0..255,
// HWC); masks become 0/1.
// Orientation is the stored pixel order (EXIF rotation is ignored, as the MVTec tools do), so
// images and their masks stay aligned.
import sharp, { type Sharp } from 'sharp';
import { UserError } from '../../common/errors.ts';
import type { DefectConfig, Sample } from './types.ts';
import { bmpSize, isBmp, sharpFromBmp } from './bmp.ts';
import { readFile } from 'node:fs/promises';
import type { LocoChannel } from '../metrics/spro.ts';

/** Resampling filter for image resizing (sharp kernels). 'linear' is the default: bilinear,
 * widened when shrinking so that it averages (anti-aliased, like PIL/torchvision bilinear). */
export type ResizeFilter = 'nearest' | 'linear' | 'cubic' | 'mitchell' | 'lanczos2' | 'lanczos3';
const DEFAULT_FILTER: ResizeFilter = 'linear';

const BAD_IMAGE_HINT = 'The file is missing, truncated or not an image. Replace it, or pass --skip-bad to list and skip unreadable images.';

function unreadable(path: string, error: unknown): UserError {
  const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
  return new UserError(`cannot read image: ${reason}`, { where: path, hint: BAD_IMAGE_HINT, cause: error });
}

/** A sharp pipeline over the file's pixels; decoding errors (a truncated PNG) fail it. */
async function openImage(path: string): Promise<Sharp> {
  return (await isBmp(path)) ? sharpFromBmp(path) : sharp(path, { failOn: 'error' });
}

/** Width and height from the file header (cheap: no decode). */
export async function imageSize(path: string): Promise<{ width: number; height: number }> {
  try {
    if (await isBmp(path)) return bmpSize(await readFile(path));
    const meta = await sharp(path).metadata();
    if (!meta.width || !meta.height) throw new Error('no image size in the header');
    return { width: meta.width, height: meta.height };
  } catch (error) {
    throw unreadable(path, error);
  }
}

/** Decodes the whole file and drops the pixels: finds what the header alone cannot (a truncated PNG, a corrupt JPEG). */
export async function checkDecodes(path: string): Promise<void> {
  try {
    await (await openImage(path)).raw().toBuffer();
  } catch (error) {
    throw unreadable(path, error);
  }
}

/** The pipeline's pixels, alpha removed, as a new pipeline: sharp would resize the image itself with premultiplied alpha. */
async function withoutAlpha(pipeline: Sharp): Promise<Sharp> {
  const { data, info } = await pipeline.raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  return sharp(data, { raw: { width: info.width, height: info.height, channels: info.channels } });
}

/**
 * Decodes an image to RGB float values 0..255, HWC, resized to size x size with `filter`
 * (no resize when size is omitted). Grey images are repeated to 3 channels; 16-bit images are
 * scaled to 8 bits; alpha is dropped before resizing (as PIL's convert('RGB') does), because
 * sharp resizes with premultiplied alpha: transparent pixels (and every pixel of a BMP, whose
 * decoder gives alpha 0) would turn black, but only when the image is resized.
 */
export async function readImageRgb(path: string, size?: number, filter: ResizeFilter = DEFAULT_FILTER): Promise<Float32Array> {
  try {
    const image = await openImage(path);
    let pipeline = image.removeAlpha().toColourspace('srgb');
    if (size !== undefined) {
      if ((await image.metadata()).hasAlpha) pipeline = await withoutAlpha(pipeline);
      pipeline = pipeline.resize(size, size, { fit: 'fill', kernel: filter, fastShrinkOnLoad: false });
    }
    const { data, info } = await pipeline.raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`decoded to ${info.channels} channels, expected 3`);
    return Float32Array.from(data);
  } catch (error) {
    throw unreadable(path, error);
  }
}

/** The first channel of a mask file at its stored size (values as stored, 8-bit), and whether its format is lossy (JPEG). */
async function readMaskValues(path: string): Promise<{ data: Uint8Array; width: number; height: number; lossy: boolean }> {
  try {
    const image = await openImage(path);
    const lossy = (await image.metadata()).format === 'jpeg';
    const { data, info } = await image.extractChannel(0).raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
    return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height, lossy };
  } catch (error) {
    throw unreadable(path, error);
  }
}

/** Nearest-neighbour resize of a 0/1 (or label) plane, sampling pixel centres. */
function resizeNearest(src: Uint8Array, width: number, height: number, outWidth: number, outHeight: number): Uint8Array {
  if (width === outWidth && height === outHeight) return src;
  const out = new Uint8Array(outWidth * outHeight);
  for (let y = 0; y < outHeight; y++) {
    const sy = Math.min(height - 1, Math.floor(((y + 0.5) * height) / outHeight));
    for (let x = 0; x < outWidth; x++) {
      const sx = Math.min(width - 1, Math.floor(((x + 0.5) * width) / outWidth));
      out[y * outWidth + x] = src[sy * width + sx];
    }
  }
  return out;
}

interface Size {
  width: number;
  height: number;
}

/**
 * A mask may be stored at another resolution than its image (annotation tools often export
 * smaller): it is scaled to the image by nearest neighbour when its aspect ratio is the
 * image's, to within the rounding of one pixel. Another shape is a mask of some other image.
 */
export function checkMaskSize(mask: Size, image: Size & { path: string }, maskPath: string): void {
  const sameShape =
    Math.abs((mask.width * image.height) / image.width - mask.height) <= 1 && Math.abs((mask.height * image.width) / image.height - mask.width) <= 1;
  if (!sameShape) {
    throw new UserError(`mask is ${mask.width}x${mask.height} but its image is ${image.width}x${image.height}, another shape`, {
      where: maskPath,
      hint: `A mask must have its image's size or be a scaled copy of it (same aspect ratio); is this the mask of ${image.path}?`,
    });
  }
}

/**
 * The sample's ground truth as 0/1 (mask value > 0, or > 127 in a JPEG), the union of all its mask files; all zero
 * for a good image. At the image's size, or size x size, by nearest neighbour (a mask stored at
 * another scale of its image is resized the same way).
 */
export async function readMask(sample: Sample, size?: number): Promise<Uint8Array> {
  const [width, height] = size === undefined ? [sample.width, sample.height] : [size, size];
  const mask = new Uint8Array(width * height);
  for (const path of sample.maskPaths) {
    const stored = await readMaskValues(path);
    checkMaskSize(stored, sample, path);
    const scaled = resizeNearest(stored.data, stored.width, stored.height, width, height);
    // JPEG rings around a defect's edge (small values where 0 was stored): half-way is the cut there.
    const cut = stored.lossy ? 127 : 0;
    for (let i = 0; i < scaled.length; i++) if (scaled[i] > cut) mask[i] = 1;
  }
  return mask;
}

/** MVTec LOCO: one 0/1 channel per ground-truth file with its defect's config (by pixel value). */
export async function readMaskChannels(sample: Sample, defectsConfig: DefectConfig[], size?: number): Promise<LocoChannel[]> {
  const channels: LocoChannel[] = [];
  for (const path of sample.maskPaths) {
    const { data, width, height } = await readMaskValues(path);
    checkMaskSize({ width, height }, sample, path);
    let value = 0;
    for (let i = 0; i < data.length && value === 0; i++) value = data[i];
    if (value === 0) continue;
    const config = defectsConfig.find((c) => c.pixel_value === value);
    if (!config) {
      throw new UserError(`ground-truth pixel value ${value} is not in defects_config.json`, {
        where: path,
        hint: `Known pixel values: ${defectsConfig.map((c) => c.pixel_value).join(', ')}.`,
      });
    }
    const binary = Uint8Array.from(data, (v) => (v > 0 ? 1 : 0));
    channels.push({ mask: resizeNearest(binary, width, height, size ?? sample.width, size ?? sample.height), config });
  }
  return channels;
}
