// Anomaly maps on disk, by extension: .tif/.tiff (float32 TIFF) or .npy (float32 NumPy).
import { mkdir, readFile, writeFile, rename } from 'node:fs/promises';
import { dirname, extname } from 'node:path';
import { UserError } from '../../common/errors.ts';
import { decodeNpyPlane, encodeNpy, formatTiff, parseTiff, type Plane } from '../../formats/index.ts';

export const MAP_EXTENSIONS = ['.tiff', '.tif', '.npy'] as const;

export async function readMap(path: string): Promise<Plane> {
  const ext = extname(path).toLowerCase();
  if (ext !== '.npy' && ext !== '.tif' && ext !== '.tiff') {
    throw new UserError(`unknown map format '${ext}'`, { where: path, hint: 'Maps must be .tiff/.tif (float32) or .npy (float32).' });
  }
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw new UserError(`cannot read map: ${(error as Error).message}`, { where: path, cause: error });
  }
  const plane = ext === '.npy' ? decodeNpyPlane(bytes, path) : await parseTiff(bytes, path);
  if (plane.width === 0 || plane.height === 0) {
    throw new UserError(`the map is empty (${plane.width}×${plane.height}): it has no values`, {
      where: path,
      hint: 'A map has one float value per pixel of its image; write it again.',
    });
  }
  return plane;
}

/** Writes a float32 map (row-major, width x height) as .tiff/.tif or .npy, atomically. */
export async function writeMap(path: string, map: Float32Array, width: number, height: number): Promise<void> {
  const ext = extname(path).toLowerCase();
  const bytes = ext === '.npy' ? encodeNpy(map, [height, width]) : ext === '.tif' || ext === '.tiff' ? formatTiff(map, width, height) : null;
  if (!bytes) throw new UserError(`cannot write a map as '${ext}'`, { where: path, hint: 'Use .tiff, .tif or .npy.' });
  await mkdir(dirname(path), { recursive: true });
  const temp = `${path}.${process.pid}.tmp`;
  await writeFile(temp, bytes);
  await rename(temp, path);
}

/**
 * Bilinear resize of a float map with pixel-centre alignment (align_corners = false, edges
 * clamped), as OpenCV INTER_LINEAR and torch interpolate(bilinear) do; no anti-aliasing.
 */
export function resizeMapBilinear(src: Float32Array, width: number, height: number, outWidth: number, outHeight: number): Float32Array {
  if (width === outWidth && height === outHeight) return src;
  const out = new Float32Array(outWidth * outHeight);
  const sx = width / outWidth;
  const sy = height / outHeight;
  for (let y = 0; y < outHeight; y++) {
    const fy = Math.min(Math.max((y + 0.5) * sy - 0.5, 0), height - 1);
    const y0 = Math.floor(fy);
    const y1 = Math.min(y0 + 1, height - 1);
    const wy = fy - y0;
    for (let x = 0; x < outWidth; x++) {
      const fx = Math.min(Math.max((x + 0.5) * sx - 0.5, 0), width - 1);
      const x0 = Math.floor(fx);
      const x1 = Math.min(x0 + 1, width - 1);
      const wx = fx - x0;
      const top = src[y0 * width + x0] * (1 - wx) + src[y0 * width + x1] * wx;
      const bottom = src[y1 * width + x0] * (1 - wx) + src[y1 * width + x1] * wx;
      out[y * outWidth + x] = top * (1 - wy) + bottom * wy;
    }
  }
  return out;
}
