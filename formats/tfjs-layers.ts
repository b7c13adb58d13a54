// Reads TF.js layers models (model.json + binary shards) from local files. Each manifest group
// is the concatenation of its shard files; a weight's bytes are at its running offset in the
// group. Shards may be missing: their weights are listed as unavailable, and reading one
// throws a UserError naming the missing file and the layer.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { UserError } from '../common/errors.ts';
import { DTYPE_BYTES, decodeToFloat32 } from './dtypes.ts';
import { elementCount, type TensorEntry, type WeightFile } from './weight-file.ts';

interface ManifestWeight {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: { dtype: 'uint8' | 'uint16' | 'float16'; scale?: number; min?: number };
}
interface ManifestGroup {
  paths: string[];
  weights: ManifestWeight[];
}

interface Placement {
  group: number;
  offset: number;
  byteLength: number;
  weight: ManifestWeight;
}

export function openTfjsLayers(modelJsonPath: string): WeightFile {
  const jsonPath = statSync(modelJsonPath).isDirectory() ? join(modelJsonPath, 'model.json') : modelJsonPath;
  if (!existsSync(jsonPath)) {
    throw new UserError('no model.json in this folder', { where: modelJsonPath, hint: 'Point weights at a TF.js layers model folder or its model.json.' });
  }
  let json: { weightsManifest?: ManifestGroup[]; modelTopology?: unknown };
  try {
    json = JSON.parse(readFileSync(jsonPath, 'utf8'));
  } catch {
    throw new UserError('model.json is not valid JSON (truncated or not a TF.js model)', { where: jsonPath });
  }
  const manifest = json.weightsManifest;
  if (!Array.isArray(manifest)) {
    throw new UserError('model.json has no weightsManifest: not a TF.js layers model', { where: jsonPath });
  }
  const dir = dirname(resolve(jsonPath));
  const entries = new Map<string, TensorEntry>();
  const placements = new Map<string, Placement>();
  const groupFiles: string[][] = manifest.map((g) => g.paths.map((p) => join(dir, p)));
  const missingOf = (group: number) => groupFiles[group].filter((f) => !existsSync(f));
  manifest.forEach((group, gi) => {
    let offset = 0;
    const missing = missingOf(gi);
    const have = missing.length ? 0 : groupFiles[gi].reduce((n, f) => n + statSync(f).size, 0);
    for (const w of group.weights) {
      const stored = w.quantization?.dtype ?? w.dtype;
      const bytes = DTYPE_BYTES[stored];
      if (bytes === undefined) throw new UserError(`weight ${w.name} has unsupported dtype ${stored}`, { where: jsonPath });
      const byteLength = elementCount(w.shape) * bytes;
      entries.set(w.name, {
        name: w.name,
        shape: w.shape,
        dtype: w.dtype,
        available: missing.length === 0 && offset + byteLength <= have,
        location: missing.length
          ? `${missing.join(', ')} (missing)`
          : offset + byteLength <= have
            ? groupFiles[gi].join(', ')
            : `${groupFiles[gi].join(', ')} (truncated)`,
      });
      placements.set(w.name, { group: gi, offset, byteLength, weight: w });
      offset += byteLength;
    }
  });
  const groupCache = new Map<number, Buffer>();
  const groupBytes = (gi: number, needFor: string): Buffer => {
    const cached = groupCache.get(gi);
    if (cached) return cached;
    const missing = missingOf(gi);
    if (missing.length) {
      throw new UserError(`weight file ${missing.join(', ')} is missing; it holds ${needFor}`, {
        where: jsonPath,
        hint: 'The taps you asked for need this layer. Restore the shard, or choose shallower taps.',
      });
    }
    const buf = Buffer.concat(groupFiles[gi].map((f) => readFileSync(f)));
    groupCache.set(gi, buf);
    return buf;
  };
  return {
    path: modelJsonPath,
    format: 'tfjs-layers',
    entries,
    contentFiles: [jsonPath, ...groupFiles.flat().filter((f) => existsSync(f))],
    read(name: string): Float32Array {
      const p = placements.get(name);
      if (!p) throw new UserError(`no weight named ${name}`, { where: jsonPath });
      const layer = name.includes('/') ? name.slice(0, name.lastIndexOf('/')) : name;
      const buf = groupBytes(p.group, `${name} (layer ${layer})`);
      if (p.offset + p.byteLength > buf.length) {
        throw new UserError(`shard data for ${name} is truncated: group needs ${p.offset + p.byteLength} bytes, has ${buf.length}`, {
          where: groupFiles[p.group].join(', '),
        });
      }
      const bytes = new Uint8Array(buf.buffer, buf.byteOffset + p.offset, p.byteLength);
      const count = elementCount(p.weight.shape);
      const q = p.weight.quantization;
      if (!q) return decodeToFloat32(bytes, p.weight.dtype, count);
      const raw = decodeToFloat32(bytes, q.dtype, count);
      if (q.dtype === 'float16') return raw;
      const scale = q.scale ?? 1;
      const min = q.min ?? 0;
      for (let i = 0; i < count; i++) raw[i] = raw[i] * scale + min;
      return raw;
    },
  };
}
