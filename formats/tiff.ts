// Float32 TIFF maps, the official MVTec evaluation's format. Reading goes through geotiff (any
// compression, any numeric sample type, first sample of each pixel); writing is a minimal
// baseline TIFF: little-endian, one uncompressed strip, one float32 sample per pixel.
import { fromArrayBuffer } from 'geotiff';
import { UserError } from '../common/errors.ts';
import type { Plane } from './plane.ts';

const SHORT = 3;
const LONG = 4;

/**
 * Fast path for the common case (what tifffile and formatTiff write): uncompressed strips of one
 * float32 sample per pixel. Returns null for anything else, which then goes through geotiff.
 */
function parsePlainFloatTiff(bytes: Uint8Array): Plane | null {
  if (bytes.length < 8) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const little = bytes[0] === 0x49 && bytes[1] === 0x49;
  if (!little && !(bytes[0] === 0x4d && bytes[1] === 0x4d)) return null;
  if (view.getUint16(2, little) !== 42) return null; // BigTIFF and others: geotiff
  const ifd = view.getUint32(4, little);
  if (ifd + 2 > bytes.length) return null;
  const count = view.getUint16(ifd, little);
  const tags = new Map<number, number[]>();
  for (let k = 0; k < count; k++) {
    const at = ifd + 2 + 12 * k;
    if (at + 12 > bytes.length) return null;
    const tag = view.getUint16(at, little);
    const type = view.getUint16(at + 2, little);
    const n = view.getUint32(at + 4, little);
    const size = type === SHORT ? 2 : type === LONG ? 4 : 0;
    if (size === 0) continue;
    const base = n * size <= 4 ? at + 8 : view.getUint32(at + 8, little);
    if (base + n * size > bytes.length) return null;
    const values: number[] = [];
    for (let j = 0; j < n; j++) values.push(size === 2 ? view.getUint16(base + 2 * j, little) : view.getUint32(base + 4 * j, little));
    tags.set(tag, values);
  }
  const one = (tag: number, fallback?: number) => tags.get(tag)?.[0] ?? fallback;
  const width = one(256);
  const height = one(257);
  // Uncompressed float32: the pixels must be in the file; checked before allocating them.
  if (!width || !height || width * height * 4 > bytes.length) return null;
  if (one(259, 1) !== 1 || one(258) !== 32 || one(339) !== 3 || one(277, 1) !== 1 || one(284, 1) !== 1) return null;
  const offsets = tags.get(273);
  const counts = tags.get(279);
  if (!offsets || !counts || offsets.length !== counts.length) return null;
  const out = new Float32Array(width * height);
  let pixel = 0;
  for (let s = 0; s < offsets.length && pixel < out.length; s++) {
    const n = Math.min(counts[s] / 4, out.length - pixel);
    if (offsets[s] + n * 4 > bytes.length) return null;
    for (let j = 0; j < n; j++) out[pixel++] = view.getFloat32(offsets[s] + 4 * j, little);
  }
  return pixel === out.length ? { data: out, width, height } : null;
}

/** 8192 × 8192 float32 values (256 MiB): far above any anomaly map, checked before decoding. */
const MAX_MAP_PIXELS = 8192 * 8192;

export async function parseTiff(bytes: Uint8Array, where: string): Promise<Plane> {
  const plain = parsePlainFloatTiff(bytes);
  if (plain) return plain;
  try {
    const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    const tiff = await fromArrayBuffer(buffer);
    const image = await tiff.getImage(0);
    const width = image.getWidth();
    const height = image.getHeight();
    if (width * height > MAX_MAP_PIXELS) throw new Error(`a ${width}×${height} map is over the limit of ${MAX_MAP_PIXELS} pixels`);
    const rasters = await image.readRasters({ samples: [0] });
    const band = (rasters as unknown as ArrayLike<number>[])[0];
    if (!band || band.length !== width * height) throw new Error('raster size does not match the image size');
    return { data: band instanceof Float32Array ? band : Float32Array.from(band), width, height };
  } catch (error) {
    throw new UserError(`cannot read TIFF map: ${(error as Error).message}`, {
      where,
      hint: 'Expected a single-channel float32 TIFF (as the official MVTec evaluation writes with tifffile).',
      cause: error,
    });
  }
}

export function formatTiff(data: Float32Array, width: number, height: number): Uint8Array {
  if (data.length !== width * height) throw new Error(`map has ${data.length} values, expected ${width}x${height}`);
  const entries: Array<[tag: number, type: number, value: number]> = [
    [256, LONG, width], // ImageWidth
    [257, LONG, height], // ImageLength
    [258, SHORT, 32], // BitsPerSample
    [259, SHORT, 1], // Compression: none
    [262, SHORT, 1], // PhotometricInterpretation: BlackIsZero
    [273, LONG, 0], // StripOffsets (set below)
    [277, SHORT, 1], // SamplesPerPixel
    [278, LONG, height], // RowsPerStrip
    [279, LONG, data.length * 4], // StripByteCounts
    [284, SHORT, 1], // PlanarConfiguration: contiguous
    [339, SHORT, 3], // SampleFormat: IEEE float
  ];
  const ifdSize = 2 + entries.length * 12 + 4;
  const dataOffset = Math.ceil((8 + ifdSize) / 8) * 8;
  entries[5][2] = dataOffset;
  const out = new Uint8Array(dataOffset + data.length * 4);
  const view = new DataView(out.buffer);
  out[0] = 0x49; // 'II': little-endian
  out[1] = 0x49;
  view.setUint16(2, 42, true);
  view.setUint32(4, 8, true);
  view.setUint16(8, entries.length, true);
  entries.forEach(([tag, type, value], i) => {
    const at = 10 + i * 12;
    view.setUint16(at, tag, true);
    view.setUint16(at + 2, type, true);
    view.setUint32(at + 4, 1, true);
    if (type === SHORT) view.setUint16(at + 8, value, true);
    else view.setUint32(at + 8, value, true);
  });
  view.setUint32(10 + entries.length * 12, 0, true); // no next IFD
  for (let i = 0; i < data.length; i++) view.setFloat32(dataOffset + 4 * i, data[i], true);
  return out;
}
