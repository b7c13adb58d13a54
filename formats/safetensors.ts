// Reads .safetensors files (8-byte little-endian header length, a JSON header
// {name: {dtype, shape, data_offsets}}, then the raw bytes) lazily: only the header is read
// up front, each tensor's bytes when asked for.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { UserError } from '../common/errors.ts';
import { DTYPE_BYTES, decodeToFloat32 } from './dtypes.ts';
import { elementCount, type TensorEntry, type WeightFile } from './weight-file.ts';

interface HeaderEntry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

function notSafetensors(path: string, why: string): UserError {
  return new UserError(`not a valid .safetensors file: ${why}`, {
    where: path,
    hint: 'Expected a safetensors file (e.g. written by safetensors.torch.save_file(model.state_dict(), "w.safetensors")).',
  });
}

/** True when the first bytes look like a safetensors header (length, then `{`). */
export function looksLikeSafetensors(head: Uint8Array, fileSize: number): boolean {
  if (head.length < 9) return false;
  const n = Number(new DataView(head.buffer, head.byteOffset, 8).getBigUint64(0, true));
  return n > 1 && n + 8 <= fileSize && head[8] === 0x7b; // '{'
}

export function openSafetensors(path: string): WeightFile {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    if (size < 10) throw notSafetensors(path, `the file has only ${size} bytes`);
    const lenBytes = Buffer.alloc(8);
    readSync(fd, lenBytes, 0, 8, 0);
    const headerLength = Number(lenBytes.readBigUInt64LE(0));
    if (headerLength + 8 > size || headerLength > 100 * 1024 * 1024) {
      throw notSafetensors(path, `its header claims ${headerLength} bytes but the file has ${size} (truncated?)`);
    }
    const headerBytes = Buffer.alloc(headerLength);
    readSync(fd, headerBytes, 0, headerLength, 8);
    let header: Record<string, HeaderEntry | Record<string, string>>;
    try {
      header = JSON.parse(headerBytes.toString('utf8'));
    } catch {
      throw notSafetensors(path, 'its header is not JSON');
    }
    const dataStart = 8 + headerLength;
    const entries = new Map<string, TensorEntry>();
    const spans = new Map<string, [number, number]>();
    for (const [name, raw] of Object.entries(header)) {
      if (name === '__metadata__') continue;
      const e = raw as HeaderEntry;
      if (!Array.isArray(e.shape) || !Array.isArray(e.data_offsets) || typeof e.dtype !== 'string') {
        throw notSafetensors(path, `header entry ${name} lacks dtype/shape/data_offsets`);
      }
      const [begin, end] = e.data_offsets;
      const bytes = DTYPE_BYTES[e.dtype];
      if (bytes === undefined) throw notSafetensors(path, `tensor ${name} has unknown dtype ${e.dtype}`);
      if (end - begin !== elementCount(e.shape) * bytes) {
        throw notSafetensors(path, `tensor ${name}: ${end - begin} bytes do not fit shape [${e.shape}] of ${e.dtype}`);
      }
      const available = dataStart + end <= size;
      entries.set(name, { name, shape: e.shape, dtype: e.dtype, available, location: path });
      spans.set(name, [dataStart + begin, dataStart + end]);
    }
    const truncated = [...entries.values()].filter((e) => !e.available);
    if (truncated.length > 0) {
      throw notSafetensors(path, `the file is truncated: ${truncated.length} tensors (first: ${truncated[0].name}) end past its ${size} bytes`);
    }
    return {
      path,
      format: 'safetensors',
      entries,
      contentFiles: [path],
      read(name: string): Float32Array {
        const entry = entries.get(name);
        const span = spans.get(name);
        if (!entry || !span) throw new UserError(`no tensor named ${name}`, { where: path });
        const buf = Buffer.alloc(span[1] - span[0]);
        const rfd = openSync(path, 'r');
        try {
          readSync(rfd, buf, 0, buf.length, span[0]);
        } finally {
          closeSync(rfd);
        }
        return decodeToFloat32(buf, entry.dtype, elementCount(entry.shape));
      },
    };
  } finally {
    closeSync(fd);
  }
}
