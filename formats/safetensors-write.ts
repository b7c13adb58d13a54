// Writes .safetensors files (float32), e.g. random weights in torchvision layout for round
// trips and for comparing with other tools. Header padded to 8 bytes as the format advises.
import { writeFileSync } from 'node:fs';
import type { NativeWeights } from './weight-file.ts';

export function writeSafetensors(path: string, weights: NativeWeights, metadata?: Record<string, string>): void {
  const header: Record<string, unknown> = {};
  if (metadata) header.__metadata__ = metadata;
  let offset = 0;
  const names = [...weights.keys()];
  for (const name of names) {
    const t = weights.get(name)!;
    header[name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + t.data.length * 4] };
    offset += t.data.length * 4;
  }
  let json = JSON.stringify(header);
  while (Buffer.byteLength(json) % 8 !== 0) json += ' ';
  const headerBytes = Buffer.from(json, 'utf8');
  const out = Buffer.alloc(8 + headerBytes.length + offset);
  out.writeBigUInt64LE(BigInt(headerBytes.length), 0);
  headerBytes.copy(out, 8);
  let p = 8 + headerBytes.length;
  for (const name of names) {
    const { data } = weights.get(name)!;
    for (let i = 0; i < data.length; i++, p += 4) out.writeFloatLE(data[i], p);
  }
  writeFileSync(path, out);
}
