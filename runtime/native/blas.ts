// The optional native kernels (native/*.c, built by scripts/build-native.mjs when a C
// compiler, Node's headers and OpenBLAS are present): found next to the package, loaded once.
// Absent, unloadable or turned off (DADF_BLAS=off), the wasm kernels run and `why` says so.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface NativeBlas {
  /** c[i] = op(a[i·strideA]) · op(b[i·strideB]) for i < batch, row-major; stride 0 broadcasts. */
  sgemm(
    a: Float32Array,
    b: Float32Array,
    c: Float32Array,
    batch: number,
    m: number,
    n: number,
    k: number,
    transA: boolean,
    transB: boolean,
    strideA: number,
    strideB: number,
  ): void;
  /** Sets OpenBLAS's thread count when given; returns it. */
  threads(count?: number): number;
  /** OpenBLAS's build line, e.g. "OpenBLAS 0.3.21 … SkylakeX MAX_THREADS=64". */
  config(): string;
  /**
   * out = big ⊙ small (small ⊙ big when !bigFirst), op 0 add, 1 sub, 2 mul, 3 div; small repeats
   * every `block` elements (stretch false) or each of its elements covers `block` (stretch true).
   */
  broadcast?(op: number, big: Float32Array, small: Float32Array, out: Float32Array, block: number, stretch: boolean, bigFirst: boolean): void;
  /** y = f(x) element by element; op indexes UNARY_OPS (runtime/ops/native-kernels.ts); alpha: LeakyRelu's slope. */
  unary?(op: number, x: Float32Array, y: Float32Array, alpha: number): void;
  /** z = a ⊙ b for arrays of one length; op indexes BINARY_OPS. */
  binary?(op: number, a: Float32Array, b: Float32Array, z: Float32Array): void;
  /** out = x > y as 0/1 bytes; y has x's length or one element. */
  greater?(x: Float32Array, y: Float32Array, out: Uint8Array): void;
  /** out = condition ? t : e, all of one length. */
  select?(condition: Uint8Array, t: Float32Array, e: Float32Array, out: Float32Array): void;
  /** x as [outer, n, inner]: out[o, c] = Σ_j x[o, j, c] / divisor. */
  reduce?(x: Float32Array, out: Float32Array, outer: number, n: number, inner: number, divisor: number): void;
  /** dst[dstOffset + r·dstStride + i] = src[srcOffset + r·srcStride + i], i < rowLength, r < rows (in elements of one size). */
  copyRows?(src: HeapArray, srcOffset: number, srcStride: number, dst: HeapArray, dstOffset: number, dstStride: number, rowLength: number, rows: number): void;
  /** x [rows, width] → out [rows, k]: out[r, i] = x[r, indices[i]]; 4-byte elements. */
  gatherLast?(x: HeapArray, indices: Int32Array, out: HeapArray, rows: number): void;
  /** dst = src with its axes permuted: `layout` holds [size, stride in src] of each leading output axis, then `run` contiguous elements. */
  transpose?(src: HeapArray, dst: HeapArray, layout: Int32Array, rank: number, run: number): void;
  /** dst[b, j, i] = src[b, i, j] for 4-byte elements, src [batch, rows, cols]. */
  transpose2d?(src: HeapArray, dst: HeapArray, batch: number, rows: number, cols: number): void;
  /** x [rows, n] → y = (x − mean)·rstd·g + b per row, g and b [n]; mean and rstd [rows] are written for layerNormGrad. */
  layerNorm?(x: F32, g: F32, b: F32, y: F32, mean: F32, rstd: F32, rows: number, n: number, eps: number): void;
  /** The gradients of layerNorm for x, g and b from dy and what the forward kept. */
  layerNormGrad?(dy: F32, x: F32, g: F32, mean: F32, rstd: F32, dx: F32, dg: F32, db: F32, rows: number, n: number): void;
  /** y = 0.5·x·(1 + erf(x/√2)), arrays of one length. */
  gelu?(x: F32, y: F32): void;
  /** dx = dy · GELU′(x). */
  geluGrad?(x: F32, dy: F32, dx: F32): void;
  /**
   * One Adam step of one variable (runtime/train/optimizer.ts): m and v in place, the new weights
   * in out (which may be w); constants: float32 [β1, 1−β1, β2, 1−β2, 1−β1^t, 1−β2^t, ε, weight decay, lr]; flags 0/1.
   */
  adam?(w: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, out: Float32Array, constants: Float32Array, l2: number, decoupled: number): void;
  /**
   * q [n, tq, w], k and v [n, tk, w], heads as column blocks of w: p = softmax(q kᵀ·scale) per sample and head
   * [n, heads, tq, tk], out = p v [n, tq, w].
   */
  attention?(q: F32, k: F32, v: F32, out: F32, p: F32, ...sizes: AttentionSizes): void;
  /** The gradients of attention for q, k and v from dout and the forward's p. */
  attentionGrad?(dout: F32, q: F32, k: F32, v: F32, p: F32, dq: F32, dk: F32, dv: F32, ...sizes: AttentionSizes): void;
  /** The transformer's two attentions on its stacked qkv [n, t, 3w] (n even, tq = tk = t) → out [n, t, w], p [n, heads, t, t]. */
  dualAttention?(qkv: F32, out: F32, p: F32, ...sizes: [...AttentionSizes, memoryQuery: boolean]): void;
  /** The gradient of dualAttention for qkv. */
  dualAttentionGrad?(dout: F32, qkv: F32, p: F32, dqkv: F32, ...sizes: [...AttentionSizes, memoryQuery: boolean]): void;
  /** OpenMP threads of the kernels above; 0 when the addon was built without OpenMP. */
  parallelThreads?(): number;
  /**
   * The flow's coupling step over rows of halves x1 [rows, c1], x2 [rows, c2] (native/coupling.c):
   * z1, z2 from them, h = [a_s | a_t], g and offset, and Σ s per sample into sdet; perm empty for none.
   */
  couplingForward?(
    rows: number,
    c1: number,
    c2: number,
    samples: number,
    scale: number,
    clamp: number,
    perm: Int32Array,
    x1: Float32Array,
    x2: Float32Array,
    h: Float32Array,
    g: Float32Array,
    offset: Float32Array,
    z1: Float32Array,
    z2: Float32Array,
    sdet: Float32Array,
  ): void;
  /** y [n, outH, outW, c] = depthwise k×k conv of NHWC x [n, h, w, c] with filter [k, k, c] at `stride`, zeros outside (padTop, padLeft before). */
  depthwise?(
    n: number,
    h: number,
    w: number,
    c: number,
    k: number,
    stride: number,
    padTop: number,
    padLeft: number,
    outH: number,
    outW: number,
    x: Float32Array,
    filter: Float32Array,
    y: Float32Array,
  ): void;
  /** y[r, c] = act(x[r, c] + bias[c]) (bias empty: none; y may be x); act 0 none, 1 relu, 2 relu6, 3 leaky relu with `slope`. */
  biasActivation?(x: Float32Array, bias: Float32Array, y: Float32Array, rows: number, cols: number, act: number, slope: number): void;
  /** y [n, outH, outW, c] = x [n, h, w, c] resized bilinearly, as tfjs's ResizeBilinear computes it. */
  resizeBilinear?(
    x: Float32Array,
    y: Float32Array,
    n: number,
    h: number,
    w: number,
    c: number,
    outH: number,
    outW: number,
    alignCorners: boolean,
    halfPixelCenters: boolean,
  ): void;
  /** The gradient of a (leaky) relu after a bias, from its output y: dx = y > 0 ? dy : slope·dy, dbias = Σ_rows dx. */
  biasActivationGrad?(dy: Float32Array, y: Float32Array, dx: Float32Array, dbias: Float32Array, rows: number, cols: number, slope: number): void;
  /** The depthwise convolution's filter gradient dw [k, k, c] from x and dy (stride 1, 'same'). */
  depthwiseFilterGrad?(n: number, h: number, w: number, c: number, k: number, x: Float32Array, dy: Float32Array, dw: Float32Array): void;
  /** The coupling step's gradient: dx1, dx2, dh, dg and doffset from dz1, dz2 and dsdet. */
  couplingBackward?(
    rows: number,
    c1: number,
    c2: number,
    samples: number,
    scale: number,
    clamp: number,
    perm: Int32Array,
    dz1: Float32Array,
    dz2: Float32Array,
    dsdet: Float32Array,
    x1: Float32Array,
    x2: Float32Array,
    h: Float32Array,
    g: Float32Array,
    dx1: Float32Array,
    dx2: Float32Array,
    dh: Float32Array,
    dg: Float32Array,
    doffset: Float32Array,
  ): void;
}

type HeapArray = Float32Array | Int32Array | Uint8Array;
type F32 = Float32Array;
/** The sizes after an attention kernel's arrays (native/attention.c). */
type AttentionSizes = [n: number, tq: number, tk: number, w: number, heads: number, scale: number];

const ADDON_FILE = 'native/build/dadf_blas.node';

export type BlasLoad = { blas: NativeBlas; file: string } | { blas: undefined; why: string };

let loaded: BlasLoad | undefined;

/** The addon, or why not. DADF_BLAS=off skips it; DADF_BLAS=<path> names the .node file. */
export function loadNativeBlas(): BlasLoad {
  if (loaded) return loaded;
  const setting = process.env.DADF_BLAS ?? '';
  if (setting === 'off' || setting === '0') return (loaded = { blas: undefined, why: 'turned off by DADF_BLAS' });
  const named = setting && setting !== 'on' ? setting : undefined;
  if (named && !existsSync(named)) return (loaded = { blas: undefined, why: `not found: DADF_BLAS names ${named}` });
  const file = named ?? findUp(dirname(fileURLToPath(import.meta.url)), ADDON_FILE);
  if (!file) return (loaded = { blas: undefined, why: `not built (${ADDON_FILE}; see scripts/build-native.mjs)` });
  chooseCoreType();
  // OpenBLAS's idle threads spin for 2^28 cycles by default before they sleep: between two
  // products that steals a core from the wasm threads' element-wise work (measured: a stage-1
  // step 0.79× the wasm one's wall time with the default, 0.52× with the shortest spin).
  process.env.OPENBLAS_THREAD_TIMEOUT ||= '4';
  // The same for the OpenMP threads of the element-wise kernels: between two kernels they sleep
  // instead of spinning on the core the wasm threads need.
  process.env.OMP_WAIT_POLICY ||= 'passive';
  try {
    const blas = createRequire(import.meta.url)(file) as NativeBlas;
    return (loaded = { blas, file });
  } catch (error) {
    return (loaded = { blas: undefined, why: `${file} did not load: ${(error as Error).message.split('\n')[0]}` });
  }
}

/** The package root holds native/build; the source (runtime/native) and the bundle (dist/bin/chunks) sit at different depths below it. */
function findUp(from: string, relative: string): string | undefined {
  for (let dir = from, up = 0; up < 5; up++, dir = dirname(dir)) {
    if (existsSync(join(dir, relative))) return join(dir, relative);
  }
  return undefined;
}

/**
 * OpenBLAS picks its kernels from the CPU model and falls back to its slowest ones ("Prescott",
 * SSE3) on CPUs it does not know, which virtual machines often report (measured here: 2-4 GFLOP/s
 * instead of 20-40). It reads OPENBLAS_CORETYPE when the library loads; unless the person set it,
 * name the kernel family from the CPU's own feature flags.
 */
function chooseCoreType(): void {
  if (process.env.OPENBLAS_CORETYPE || process.platform !== 'linux' || process.arch !== 'x64') return;
  let flags: Set<string>;
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8').match(/^flags\s*:(.*)$/m)?.[1] ?? '';
    flags = new Set(line.trim().split(/\s+/));
  } catch {
    return;
  }
  if (['avx512f', 'avx512bw', 'avx512vl', 'avx512dq'].every((f) => flags.has(f))) process.env.OPENBLAS_CORETYPE = 'SkylakeX';
  else if (['avx2', 'fma'].every((f) => flags.has(f))) process.env.OPENBLAS_CORETYPE = 'Haswell';
}
