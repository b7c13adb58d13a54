// NumPy .npy files. Reading: format 1.0-3.0, float32 or float64, either byte order, C or
// Fortran order, any rank. Writing: format 1.0, little-endian float32, C order (np.load
// reads it as-is). Maps are the 2-D case (decodeNpyPlane / encodeNpy(data, [h, w])).
import { UserError } from '../common/errors.ts';
import type { Plane } from './plane.ts';

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

export interface NpyArray {
  shape: number[];
  data: Float32Array;
}

export function encodeNpy(data: Float32Array, shape: number[]): Uint8Array {
  const count = shape.reduce((a, b) => a * b, 1);
  if (count !== data.length) throw new Error(`npy: ${data.length} values do not fill shape [${shape.join(', ')}]`);
  const dims = shape.length === 1 ? `${shape[0]},` : shape.join(', ');
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${dims}), }`;
  // The data starts on a 64-byte boundary; the header ends with a newline.
  header += ' '.repeat((64 - ((10 + header.length + 1) % 64)) % 64) + '\n';
  const out = new Uint8Array(10 + header.length + data.length * 4);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  const view = new DataView(out.buffer);
  view.setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  const start = 10 + header.length;
  for (let i = 0; i < data.length; i++) view.setFloat32(start + i * 4, data[i], true);
  return out;
}

const HINT = 'Expected a NumPy .npy file holding a float32 (or float64) array.';

/** Reads any float .npy into C order; throws a UserError naming `where` for anything else. */
export function decodeNpy(bytes: Uint8Array, where: string, hint = HINT, what = 'not a float .npy file'): NpyArray {
  const bad = (why: string) => new UserError(`${what}: ${why}`, { where, hint });
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
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map(Number);
  if (shape.some((d) => !Number.isInteger(d) || d < 0)) throw bad(`shape (${shapeText}) is not a list of sizes`);
  const littleEndian = descr[0] !== '>';
  const kind = descr.slice(1);
  const size = kind === 'f4' ? 4 : kind === 'f8' ? 8 : 0;
  if (size === 0) throw bad(`dtype ${descr} (expected <f4 or <f8)`);
  const count = shape.reduce((a, b) => a * b, 1);
  const dataStart = headerStart + headerLength;
  if (bytes.length < dataStart + count * size) throw bad('file is shorter than its shape says');
  const data = new Float32Array(count);
  const target = fortran ? fortranToC(shape) : (i: number) => i;
  for (let i = 0; i < count; i++) {
    data[target(i)] = size === 4 ? view.getFloat32(dataStart + 4 * i, littleEndian) : view.getFloat64(dataStart + 8 * i, littleEndian);
  }
  return { shape, data };
}

/** Maps the i-th stored value of a Fortran-order array (first axis fastest) to its C index. */
function fortranToC(shape: number[]): (i: number) => number {
  const strides = shape.map((_, axis) => shape.slice(axis + 1).reduce((a, b) => a * b, 1));
  return (i) => {
    let c = 0;
    for (let axis = 0; axis < shape.length; axis++) {
      c += (i % shape[axis]) * strides[axis];
      i = Math.floor(i / shape[axis]);
    }
    return c;
  };
}

/** A 2-D float map: shape (H, W), or (1, H, W) / (H, W, 1) and the like. */
export function decodeNpyPlane(bytes: Uint8Array, where: string): Plane {
  const hint = 'Expected a NumPy .npy file with a 2-D float32 (or float64) array of shape (H, W).';
  const what = 'not a float .npy map';
  const { shape, data } = decodeNpy(bytes, where, hint, what);
  const dims = shape.filter((d) => d !== 1);
  if (dims.length > 2 || shape.length < 2) {
    throw new UserError(`${what}: shape (${shape.join(', ')}) is not a 2-D map`, { where, hint });
  }
  // Keep the last two axes of size > 1 as (H, W); (1, H, W) and (H, W, 1) both work.
  const [height, width] = shape.length === 2 ? shape : dims.length === 2 ? dims : [shape[shape.length - 2], shape[shape.length - 1]];
  return { data, width, height };
}
