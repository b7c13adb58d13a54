// PNG encoding through sharp: files for the heatmaps, data URIs for the HTML.
import sharp from 'sharp';

export interface EncodedPng {
  dataUri: string;
  width: number;
  height: number;
}

function raw(data: Uint8Array, width: number, height: number) {
  return sharp(Buffer.from(data.buffer, data.byteOffset, data.byteLength), { raw: { width, height, channels: 3 } });
}

export async function writePng(file: string, data: Uint8Array, width: number, height: number): Promise<void> {
  await raw(data, width, height).png({ compressionLevel: 6 }).toFile(file);
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
