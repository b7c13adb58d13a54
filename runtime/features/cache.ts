// Frozen backbone ⇒ each image's features are computed once and reused across epochs, runs
// and sweeps. Entries are keyed by the image's content key, the backbone id (architecture,
// width and a hash of the weight bytes, or the random seed), the input size, the input
// normalisation and the taps. Kept in memory (float32, LRU up to a byte limit) and, when a
// folder is given, on disk as float16 (oldest files deleted beyond a size limit).
import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, utimesSync, writeFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { groupsOf, loadAhead } from '../../common/ahead.ts';
import { floatToHalf, halvesToFloats, hashBytes } from '../../formats/index.ts';
import type { Backbone } from '../backbones/index.ts';

export interface CacheImage {
  /** A content key for the image bytes, e.g. imageKeyOfFile(path). */
  key: string;
  /** The pixels: size×size×3 RGB float32 in 0..255 (HWC). Called only on a cache miss. */
  load(): Promise<Float32Array>;
}

export interface FeatureCacheOptions {
  /** A folder for float16 files; null = memory only. Default: $DADF_CACHE_DIR or .dadf-cache/ in the cwd. */
  dir?: string | null;
  /** Disk limit in bytes (default 4 GiB). */
  maxDiskBytes?: number;
  /** Memory limit in bytes of float32 features (default 1 GiB). */
  maxMemoryBytes?: number;
}

/** Per tap, one Float32Array (NHWC with batch 1, flattened) per image, in input order. */
export type TapFeatures = Record<string, Float32Array[]>;

interface Entry {
  taps: Record<string, Float32Array>;
  bytes: number;
}

export interface CacheStats {
  memoryHits: number;
  diskHits: number;
  computed: number;
}

/**
 * Bumped when the same file and backbone give other features (readImageRgb's pixels, a
 * backbone's forward), so that none computed the old way is reused. 2: alpha is dropped before
 * resizing (resized BMPs were black). The key says 'pixels', the reason of its first use.
 */
const FEATURES_VERSION = 2;

function imageKeyOfBytes(bytes: Uint8Array): string {
  return hashBytes(bytes, 24);
}

export function imageKeyOfFile(path: string): string {
  return imageKeyOfBytes(readFileSync(path));
}

function defaultCacheDir(): string {
  return resolve(process.env.DADF_CACHE_DIR ?? '.dadf-cache');
}

export class FeatureCache {
  readonly dir: string | null;
  readonly stats: CacheStats = { memoryHits: 0, diskHits: 0, computed: 0 };
  private readonly memory = new Map<string, Entry>();
  /** NHWC shapes (batch 1) per scope/tap, learnt when computing or reading. */
  private readonly shapes = new Map<string, number[]>();
  private memoryBytes = 0;
  private diskBytes = -1;

  private constructor(private readonly options: FeatureCacheOptions) {
    this.dir = options.dir === null ? null : resolve(options.dir ?? defaultCacheDir());
  }

  static open(options: FeatureCacheOptions = {}): FeatureCache {
    return new FeatureCache(options);
  }

  /** The part of the key that depends on the backbone and how images are fed to it. */
  static scopeOf(backbone: Backbone, size: number): string {
    const norm = backbone.normalization.kind;
    return hashBytes(`${backbone.id}|${size}|${norm}|${backbone.taps.join(',')}|pixels ${FEATURES_VERSION}`);
  }

  /**
   * Features of every image for the backbone's taps: cached ones are read, the others are
   * computed in batches of `batchSize` and stored. The images of a batch are decoded at once
   * (in libuv's threads), and those of the next batch while the backbone runs on this one.
   * `onProgress` gets the number of images done after the cached ones and after each batch.
   */
  async getOrCompute(images: CacheImage[], backbone: Backbone, size: number, batchSize = 8, onProgress?: (done: number) => void): Promise<TapFeatures> {
    const scope = FeatureCache.scopeOf(backbone, size);
    const found: Array<Record<string, Float32Array> | undefined> = images.map((img) => this.lookup(`${scope}/${img.key}`));
    const missing = images.map((_, i) => i).filter((i) => !found[i]);
    let done = images.length - missing.length;
    if (done > 0) onProgress?.(done);
    const batches = groupsOf(missing, batchSize);
    let k = 0;
    for await (const loaded of loadAhead(batches, (i) => images[i].load())) {
      const batch = batches[k++];
      const pixels = new Float32Array(batch.length * size * size * 3);
      for (let b = 0; b < batch.length; b++) {
        const data = loaded[b];
        if (data.length !== size * size * 3) throw new Error(`image ${images[batch[b]].key}: ${data.length} values, expected ${size}×${size}×3`);
        pixels.set(data, b * size * size * 3);
      }
      const input = tf.tensor4d(pixels, [batch.length, size, size, 3]);
      const out = backbone.extract(input);
      input.dispose();
      const perImage: Array<Record<string, Float32Array>> = batch.map(() => ({}));
      for (const tap of backbone.taps) {
        const t = out[tap];
        const all = t.dataSync() as Float32Array;
        const per = all.length / batch.length;
        for (let b = 0; b < batch.length; b++) perImage[b][tap] = all.slice(b * per, (b + 1) * per);
        this.shapes.set(`${scope}/${tap}`, [1, t.shape[1], t.shape[2], t.shape[3]]);
      }
      tf.dispose(Object.values(out));
      batch.forEach((i, b) => {
        found[i] = perImage[b];
        this.store(`${scope}/${images[i].key}`, perImage[b], scope);
        this.stats.computed++;
      });
      done += batch.length;
      onProgress?.(done);
    }
    const result: TapFeatures = {};
    for (const tap of backbone.taps) result[tap] = found.map((f) => f![tap]);
    return result;
  }

  /** NHWC shape (batch 1) of a tap's features, once something was computed or read for it. */
  shapeOf(backbone: Backbone, size: number, tap: string): number[] | undefined {
    return this.shapes.get(`${FeatureCache.scopeOf(backbone, size)}/${tap}`);
  }

  private lookup(key: string): Record<string, Float32Array> | undefined {
    const hit = this.memory.get(key);
    if (hit) {
      // Refresh its place in the LRU order.
      this.memory.delete(key);
      this.memory.set(key, hit);
      this.stats.memoryHits++;
      return hit.taps;
    }
    if (!this.dir) return undefined;
    const file = this.fileOf(key);
    if (!existsSync(file)) return undefined;
    try {
      const taps = this.readFile(file, key.split('/')[0]);
      const now = new Date();
      utimesSync(file, now, now);
      this.remember(key, taps);
      this.stats.diskHits++;
      return taps;
    } catch {
      return undefined; // a damaged entry is recomputed and overwritten
    }
  }

  private store(key: string, taps: Record<string, Float32Array>, scope: string): void {
    this.remember(key, taps);
    if (this.dir) this.writeFile(this.fileOf(key), taps, scope);
  }

  private remember(key: string, taps: Record<string, Float32Array>): void {
    const bytes = Object.values(taps).reduce((n, a) => n + a.byteLength, 0);
    const limit = this.options.maxMemoryBytes ?? 1 << 30;
    if (bytes > limit) return;
    this.memory.set(key, { taps, bytes });
    this.memoryBytes += bytes;
    for (const [k, e] of this.memory) {
      if (this.memoryBytes <= limit) break;
      this.memory.delete(k);
      this.memoryBytes -= e.bytes;
    }
  }

  private fileOf(key: string): string {
    return join(this.dir!, `${key}.f16`);
  }

  // File layout: u32 header length, JSON header {taps: [{name, shape, length}]} padded to an
  // even length, then float16 values (little-endian, as Uint16Array views are on every host we run).
  private writeFile(file: string, taps: Record<string, Float32Array>, scope: string): void {
    const names = Object.keys(taps);
    let json = JSON.stringify({ taps: names.map((name) => ({ name, shape: this.shapes.get(`${scope}/${name}`), length: taps[name].length })) });
    while (Buffer.byteLength(json) % 2 !== 0) json += ' ';
    const header = Buffer.from(json);
    const count = names.reduce((n, t) => n + taps[t].length, 0);
    const out = Buffer.alloc(4 + header.length + count * 2);
    out.writeUInt32LE(header.length, 0);
    header.copy(out, 4);
    const halves = new Uint16Array(out.buffer, out.byteOffset + 4 + header.length, count);
    let p = 0;
    for (const t of names) {
      const a = taps[t];
      for (let i = 0; i < a.length; i++) halves[p++] = floatToHalf(a[i]);
    }
    mkdirSync(join(this.dir!, scope), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, out);
    renameSync(tmp, file);
    if (this.diskBytes < 0) this.diskBytes = this.scanDisk().reduce((n, f) => n + f.size, 0);
    else this.diskBytes += out.length;
    this.enforceDiskLimit();
  }

  private readFile(file: string, scope: string): Record<string, Float32Array> {
    const buf = readFileSync(file);
    const headerLength = buf.readUInt32LE(0);
    const header = JSON.parse(buf.toString('utf8', 4, 4 + headerLength)) as { taps: Array<{ name: string; shape: number[]; length: number }> };
    let p = 4 + headerLength;
    // Copy so that the Uint16Array view is aligned whatever offset the file buffer has.
    const body = new Uint8Array(buf.length - p);
    body.set(buf.subarray(p));
    const halves = new Uint16Array(body.buffer, 0, body.length >> 1);
    p = 0;
    const taps: Record<string, Float32Array> = {};
    for (const t of header.taps) {
      if (p + t.length > halves.length) throw new Error('truncated cache entry');
      taps[t.name] = halvesToFloats(halves.subarray(p, p + t.length));
      p += t.length;
      if (t.shape) this.shapes.set(`${scope}/${t.name}`, t.shape);
    }
    return taps;
  }

  private scanDisk(): Array<{ path: string; size: number; mtime: number }> {
    if (!this.dir || !existsSync(this.dir)) return [];
    const files: Array<{ path: string; size: number; mtime: number }> = [];
    for (const scope of readdirSync(this.dir)) {
      const sub = join(this.dir, scope);
      if (!statSync(sub).isDirectory()) continue;
      for (const name of readdirSync(sub)) {
        if (!name.endsWith('.f16')) continue;
        const s = statSync(join(sub, name));
        files.push({ path: join(sub, name), size: s.size, mtime: s.mtimeMs });
      }
    }
    return files;
  }

  private enforceDiskLimit(): void {
    const limit = this.options.maxDiskBytes ?? 4 * 2 ** 30;
    if (this.diskBytes <= limit) return;
    const files = this.scanDisk().sort((a, b) => a.mtime - b.mtime);
    let total = files.reduce((n, f) => n + f.size, 0);
    for (const f of files) {
      if (total <= limit) break;
      unlinkSync(f.path);
      total -= f.size;
    }
    this.diskBytes = total;
  }

  /** Bytes of float16 files in the cache folder. */
  diskUsage(): number {
    return this.scanDisk().reduce((n, f) => n + f.size, 0);
  }

  clearMemory(): void {
    this.memory.clear();
    this.memoryBytes = 0;
  }
}
