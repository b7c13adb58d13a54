// Float32 TIFF maps, the official MVTec evaluation's format. Reading goes through geotiff (any
// compression, any numeric sample type, first sample of each pixel); writing is a minimal
// baseline TIFF: little-endian, one uncompressed strip, one float32 sample per pixel.
import { fromArrayBuffer } from 'geotiff';
import { UserError } from '../../grammar/errors.ts';
import type { Plane } from './npy.ts';

export async function parseTiff(bytes: Uint8Array, where: string): Promise<Plane> {
  try {
    const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    const tiff = await fromArrayBuffer(buffer);
    const image = await tiff.getImage(0);
    const width = image.getWidth();
    const height = image.getHeight();
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

const SHORT = 3;
const LONG = 4;

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
