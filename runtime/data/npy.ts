// NumPy .npy files (format 1.0-3.0) holding one 2-D float map: float32 or float64, C or
// Fortran order. Enough for anomaly maps; not a general reader.
import { UserError } from '../../grammar/errors.ts';

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

export interface Plane {
  data: Float32Array;
  width: number;
  height: number;
}

export function parseNpy(bytes: Uint8Array, where: string): Plane {
  const bad = (what: string) => new UserError(`not a float .npy map: ${what}`, { where, hint: 'Expected a NumPy .npy file with a 2-D float32 (or float64) array of shape (H, W).' });
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) throw bad('missing the \\x93NUMPY magic');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const major = bytes[6];
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const headerStart = major === 1 ? 10 : 12;
  const header = new TextDecoder('latin1').decode(bytes.subarray(headerStart, headerStart + headerLength));
  const descr = /'descr'\s*:\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*True/.test(header);
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!descr || shapeText === undefined) throw bad('unreadable header');
  const shape = shapeText.split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  const dims = shape.filter((d) => d !== 1);
  if (shape.some((d) => !Number.isInteger(d)) || dims.length > 2 || shape.length < 2) throw bad(`shape (${shapeText}) is not a 2-D map`);
  // Keep the last two axes of size > 1 as (H, W); (1, H, W) and (H, W, 1) both work.
  const [height, width] = shape.length === 2 ? shape : dims.length === 2 ? dims : [shape[shape.length - 2], shape[shape.length - 1]];
  const count = width * height;
  const dataStart = headerStart + headerLength;
  const littleEndian = descr[0] !== '>';
  const kind = descr.slice(1);
  const size = kind === 'f4' ? 4 : kind === 'f8' ? 8 : 0;
  if (size === 0) throw bad(`dtype ${descr} (expected <f4 or <f8)`);
  if (bytes.length < dataStart + count * size) throw bad('file is shorter than its shape says');
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    const v = size === 4 ? view.getFloat32(dataStart + 4 * i, littleEndian) : view.getFloat64(dataStart + 8 * i, littleEndian);
    // Fortran order stores columns first.
    const target = fortran && shape.length === 2 ? (i % height) * width + Math.floor(i / height) : i;
    out[target] = v;
  }
  return { data: out, width, height };
}

/** Serialises a float32 map of shape (height, width), format 1.0, C order. */
export function formatNpy(data: Float32Array, width: number, height: number): Uint8Array {
  if (data.length !== width * height) throw new Error(`map has ${data.length} values, expected ${width}x${height}`);
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${height}, ${width}), }`;
  const unpadded = 10 + header.length + 1;
  header += ' '.repeat((64 - (unpadded % 64)) % 64) + '\n';
  const out = new Uint8Array(10 + header.length + data.length * 4);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  const view = new DataView(out.buffer);
  const start = 10 + header.length;
  for (let i = 0; i < data.length; i++) view.setFloat32(start + 4 * i, data[i], true);
  return out;
}
