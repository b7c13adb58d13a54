// BMP images, which libvips (sharp) does not read: decoded with bmp-ts into raw RGBA that sharp
// takes from there. The header's size is checked first, against the same pixel limit sharp
// applies to every other format, so a hostile header cannot make us allocate gigabytes.
import { type FileHandle, open, readFile } from 'node:fs/promises';
import { decode } from 'bmp-ts';
import sharp, { type Sharp } from 'sharp';

/** sharp's default limitInputPixels (0x3FFF × 0x3FFF), applied to BMPs too. */
const MAX_IMAGE_PIXELS = 0x3fff * 0x3fff;

/** Whether the file starts with BMP's "BM" signature (whatever its name). */
export async function isBmp(path: string): Promise<boolean> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(path, 'r');
    const head = Buffer.alloc(2);
    const { bytesRead } = await handle.read(head, 0, 2, 0);
    return bytesRead === 2 && head.toString('latin1') === 'BM';
  } catch {
    return false; // sharp will say what is wrong with the file
  } finally {
    await handle?.close();
  }
}

/** Width and height from a BMP header (BITMAPINFOHEADER and later; height < 0 is top-down). */
export function bmpSize(bytes: Buffer): { width: number; height: number } {
  if (bytes.length < 26) throw new Error('BMP header is truncated');
  const headerSize = bytes.readUInt32LE(14);
  // BITMAPCOREHEADER (OS/2) stores 16-bit sizes.
  const width = headerSize === 12 ? bytes.readUInt16LE(18) : bytes.readInt32LE(18);
  const height = Math.abs(headerSize === 12 ? bytes.readUInt16LE(20) : bytes.readInt32LE(22));
  if (width <= 0 || height <= 0) throw new Error(`BMP header gives a size of ${width}×${height}`);
  if (width * height > MAX_IMAGE_PIXELS) throw new Error(`BMP of ${width}×${height} pixels is over the limit of ${MAX_IMAGE_PIXELS} pixels`);
  return { width, height };
}

/** A sharp pipeline over a BMP's pixels (RGBA), as sharp(path) is for other formats. */
export async function sharpFromBmp(path: string): Promise<Sharp> {
  const bytes = await readFile(path);
  const { width, height } = bmpSize(bytes);
  const image = decode(bytes, { toRGBA: true });
  if (image.width !== width || image.data.length < width * height * 4) throw new Error('BMP pixel data is truncated');
  return sharp(image.data, { raw: { width, height, channels: 4 } });
}
