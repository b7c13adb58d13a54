// Reads PyTorch's zip checkpoints (.pth/.pt since torch 1.6) without executing anything:
// the zip directory, a restricted unpickle of data.pkl, and each storage's raw bytes from
// `<archive>/data/<key>`. Tensors are found wherever they sit in nested dicts (a bare state
// dict, or {"state_dict": ...}); names join the dict keys with dots.
import { UserError } from '../common/errors.ts';
import { decodeToFloat32, DTYPE_BYTES } from './dtypes.ts';
import { elementCount, type TensorEntry, type WeightFile } from './weight-file.ts';
import { unpickle, type PyCall, type PySymbol } from './unpickle.ts';
import { readZipDirectory, readZipEntry, type ZipEntry } from './zip.ts';

const STORAGE_DTYPES: Record<string, string> = {
  FloatStorage: 'F32',
  HalfStorage: 'F16',
  BFloat16Storage: 'BF16',
  DoubleStorage: 'F64',
  LongStorage: 'I64',
  IntStorage: 'I32',
  ShortStorage: 'I16',
  CharStorage: 'I8',
  ByteStorage: 'U8',
  BoolStorage: 'BOOL',
};

interface StorageRef {
  storage: true;
  key: string;
  dtype: string;
}
interface TensorRef {
  tensor: true;
  storage: StorageRef;
  offset: number;
  shape: number[];
  stride: number[];
}

function asTensor(value: unknown): TensorRef | undefined {
  const call = value as PyCall;
  if (call?.kind !== 'call') return undefined;
  const fn = call.fn as PySymbol;
  if (fn?.module !== 'torch._utils') return undefined;
  if (fn.name === '_rebuild_parameter' || fn.name === '_rebuild_parameter_with_state') return asTensor(call.args[0]);
  if (fn.name === '_rebuild_tensor_v2' || fn.name === '_rebuild_tensor') {
    const [storage, offset, shape, stride] = call.args as [StorageRef, number, number[], number[]];
    if (!storage?.storage) return undefined;
    return { tensor: true, storage, offset, shape: [...shape], stride: [...stride] };
  }
  return undefined;
}

function collect(value: unknown, prefix: string, out: Map<string, TensorRef>): void {
  const t = asTensor(value);
  if (t) {
    out.set(prefix, t);
    return;
  }
  if (value instanceof Map) {
    for (const [k, v] of value) if (typeof k === 'string') collect(v, prefix ? `${prefix}.${k}` : k, out);
  }
}

/** Whether a pickled global is one torch.save writes for a state dict (tensor rebuilds, storages, OrderedDict). */
function isTorchGlobal(g: PySymbol): boolean {
  return g.module === 'torch' || g.module.startsWith('torch.') || (g.module === 'collections' && g.name === 'OrderedDict');
}

/** Every global the pickle names outside torch's own, as module.name. */
function foreignGlobals(tree: unknown): string[] {
  const found = new Set<string>();
  const seen = new Set<unknown>();
  const walk = (v: unknown): void => {
    if (v === null || typeof v !== 'object' || seen.has(v)) return;
    seen.add(v);
    const g = v as PySymbol;
    if (g.kind === 'global' && !isTorchGlobal(g)) found.add(`${g.module}.${g.name}`);
    if (v instanceof Map) for (const [k, x] of v) walk(k), walk(x);
    else if (Array.isArray(v)) v.forEach(walk);
    else for (const x of Object.values(v)) walk(x);
  };
  walk(tree);
  return [...found];
}

export function openTorchZip(path: string): WeightFile {
  const fail = (why: string) =>
    new UserError(`cannot read this PyTorch file: ${why}`, {
      where: path,
      hint: 'Convert it in Python: safetensors.torch.save_file(torch.load(p, map_location="cpu"), "w.safetensors").',
    });
  let zip: ZipEntry[];
  try {
    zip = readZipDirectory(path);
  } catch (e) {
    throw fail((e as Error).message);
  }
  const pkl = zip.find((e) => e.name.endsWith('/data.pkl') || e.name === 'data.pkl');
  if (!pkl) throw fail('the zip has no data.pkl (not a torch.save checkpoint)');
  const root = pkl.name.slice(0, pkl.name.length - 'data.pkl'.length);
  const byName = new Map(zip.map((e) => [e.name, e]));
  let tree: unknown;
  try {
    tree = unpickle(readZipEntry(path, pkl), (pid) => {
      const [tag, type, key] = pid as [string, PySymbol, string];
      if (tag !== 'storage') throw new Error(`unknown persistent id ${String(tag)}`);
      const dtype = STORAGE_DTYPES[type?.name];
      if (!dtype) throw new Error(`unsupported storage type ${type?.module}.${type?.name}`);
      return { storage: true, key: String(key), dtype } satisfies StorageRef;
    });
  } catch (e) {
    throw fail((e as Error).message);
  }
  const foreign = foreignGlobals(tree);
  if (foreign.length > 0) {
    // torch.load would import and call these (older torch by default): the file is refused,
    // and the hint must not suggest loading it.
    throw new UserError(
      `refused: this PyTorch file holds pickled code objects (${foreign.slice(0, 3).join(', ')}${foreign.length > 3 ? ', …' : ''}) that would run when it is loaded; nothing from it was run`,
      {
        where: path,
        hint: 'A weights file holds only tensors. Get the weights from a source you trust; do not open this file with torch.load.',
      },
    );
  }
  const tensors = new Map<string, TensorRef>();
  collect(tree, '', tensors);
  if (tensors.size === 0) throw fail('it holds no tensors');
  const entries = new Map<string, TensorEntry>();
  for (const [name, t] of tensors) {
    const file = byName.get(`${root}data/${t.storage.key}`);
    entries.set(name, { name, shape: t.shape, dtype: t.storage.dtype, available: file !== undefined, location: `${path}:${root}data/${t.storage.key}` });
  }
  return {
    path,
    format: 'pytorch-zip',
    entries,
    contentFiles: [path],
    read(name: string): Float32Array {
      const t = tensors.get(name);
      if (!t) throw new UserError(`no tensor named ${name}`, { where: path });
      const file = byName.get(`${root}data/${t.storage.key}`);
      if (!file) throw fail(`storage ${t.storage.key} of ${name} is missing`);
      const bytes = DTYPE_BYTES[t.storage.dtype];
      const count = elementCount(t.shape);
      // The span the strided view touches, read once and gathered row-major.
      let last = 0;
      t.shape.forEach((d, i) => (last += (d - 1) * t.stride[i]));
      const span = count === 0 ? 0 : last + 1;
      const raw = readZipEntry(path, file, t.offset * bytes, span * bytes);
      const flat = decodeToFloat32(raw, t.storage.dtype, span);
      const contiguous = t.stride.every((s, i) => s === t.shape.slice(i + 1).reduce((a, b) => a * b, 1));
      if (contiguous) return flat.subarray(0, count);
      const out = new Float32Array(count);
      const idx = new Array(t.shape.length).fill(0);
      for (let n = 0; n < count; n++) {
        let src = 0;
        for (let d = 0; d < idx.length; d++) src += idx[d] * t.stride[d];
        out[n] = flat[src];
        for (let d = idx.length - 1; d >= 0; d--) {
          if (++idx[d] < t.shape[d]) break;
          idx[d] = 0;
        }
      }
      return out;
    },
  };
}
