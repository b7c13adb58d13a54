// A checkpoint is one file: magic, a JSON header (meta + tensor index), then float32 data.
// Written to a temp file and renamed, so a killed run never leaves a half-written one.
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { UserError } from '../../common/errors.ts';

const MAGIC = 'DADFCKPT';

export interface StoredTensor {
  shape: number[];
  data: Float32Array;
}

interface IndexEntry {
  name: string;
  shape: number[];
  offset: number;
  length: number;
}

export function writeCheckpoint(path: string, meta: unknown, tensors: Record<string, StoredTensor>): void {
  const index: IndexEntry[] = [];
  let offset = 0;
  for (const [name, t] of Object.entries(tensors)) {
    index.push({ name, shape: t.shape, offset, length: t.data.length });
    offset += t.data.length;
  }
  let header = Buffer.from(JSON.stringify({ meta, tensors: index }), 'utf8');
  // Pad so the float32 data starts 4-byte aligned.
  const pad = (4 - ((MAGIC.length + 4 + header.length) % 4)) % 4;
  header = Buffer.concat([header, Buffer.alloc(pad, 0x20)]);
  const lengthField = Buffer.alloc(4);
  lengthField.writeUInt32LE(header.length);
  const tmp = `${path}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, Buffer.from(MAGIC, 'ascii'));
    writeSync(fd, lengthField);
    writeSync(fd, header);
    for (const t of Object.values(tensors)) writeSync(fd, new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

export function readCheckpoint<Meta>(path: string): { meta: Meta; tensors: Record<string, StoredTensor> } {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch {
    throw new UserError('no checkpoint in this run', { where: path, hint: 'train first: dadfc train PIPELINE --data DIR -o RUN' });
  }
  if (bytes.subarray(0, MAGIC.length).toString('ascii') !== MAGIC) {
    throw new UserError('not a dadf checkpoint (or a corrupt one)', { where: path, hint: 'retrain, or resume from a run whose checkpoint is intact' });
  }
  const headerLength = bytes.readUInt32LE(MAGIC.length);
  const dataStart = MAGIC.length + 4 + headerLength;
  let header: { meta: Meta; tensors: IndexEntry[] };
  try {
    header = JSON.parse(bytes.subarray(MAGIC.length + 4, dataStart).toString('utf8'));
  } catch {
    throw new UserError('corrupt checkpoint header', { where: path, hint: 'retrain this run' });
  }
  const floats = new Float32Array(bytes.buffer.slice(bytes.byteOffset + dataStart, bytes.byteOffset + bytes.length));
  const tensors: Record<string, StoredTensor> = {};
  for (const e of header.tensors) {
    if (e.offset + e.length > floats.length) throw new UserError('truncated checkpoint', { where: path, hint: 'retrain this run' });
    tensors[e.name] = { shape: e.shape, data: floats.slice(e.offset, e.offset + e.length) };
  }
  return { meta: header.meta, tensors };
}
