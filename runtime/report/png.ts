// PNG encoding through sharp: files for the heatmaps, data URIs for the HTML.
import sharp from 'sharp';

export interface EncodedPng {
  dataUri: string;
  width: number;
  height: number;
}

function raw(data: Uint8Array, width: number, height: number, channels: 1 | 3 = 3) {
  return sharp(Buffer.from(data.buffer, data.byteOffset, data.byteLength), { raw: { width, height, channels } });
}

/** RGB (3 channels, HWC) or grey (1 channel) pixels as a PNG file. */
export async function writePng(file: string, data: Uint8Array, width: number, height: number, channels: 1 | 3 = 3): Promise<void> {
  const image = raw(data, width, height, channels);
  await (channels === 1 ? image.toColourspace('b-w') : image).png({ compressionLevel: 6 }).toFile(file);
}

/** A PNG data URI, scaled down (never up) so the longest side is at most `maxSide`; `sharpEdges` keeps masks crisp. */
export async function pngDataUri(data: Uint8Array, width: number, height: number, maxSide: number, sharpEdges = false): Promise<EncodedPng> {
  let pipeline = raw(data, width, height);
  let outWidth = width;
  let outHeight = height;
  if (Math.max(width, height) > maxSide) {
    const scale = maxSide / Math.max(width, height);
    outWidth = Math.max(1, Math.round(width * scale));
    outHeight = Math.max(1, Math.round(height * scale));
    pipeline = pipeline.resize(outWidth, outHeight, { fit: 'fill', kernel: sharpEdges ? 'nearest' : 'lanczos3' });
  }
  const buffer = await pipeline.png({ compressionLevel: 9 }).toBuffer();
  return { dataUri: `data:image/png;base64,${buffer.toString('base64')}`, width: outWidth, height: outHeight };
}
