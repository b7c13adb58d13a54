// Optimizers with explicit, serialisable state (so a resumed run continues bit for bit):
// AdamW (decoupled weight decay, Loshchilov & Hutter), Adam (L2 in the gradient), SGD.
// Weight decay applies to matrices and tokens (rank ≥ 2), not to biases and norm scales.
//
// The update runs as one pass per variable over plain Float32Arrays (the native addon's `adam`
// where it is built, a JavaScript loop otherwise), not as ~16 tfjs kernels per variable (1230
// kernel calls per flow step, ~28 ms at dadf-cpu's sizes; issue 19). Every intermediate is
// rounded to float32 in the order the tensor formulation computes it, with the constants
// rounded as tfjs rounds scalars, so the weights are the same bytes (test/train/optimizer.test.ts).
// In JavaScript, Math.fround after each +, −, ×, ÷ and √ computed in double gives the float32
// result, because double has more than 2·24+2 bits.
import * as tf from '@tensorflow/tfjs-core';
import type { Optimizer as OptimizerSpec } from '../../compiler/spec.ts';
import { loadNativeBlas } from '../native/blas.ts';
import { nativeKernelsOn } from '../ops/blas-kernels.ts';

interface SlotState {
  shape: number[];
  m: Float32Array;
  v: Float32Array;
}

export interface OptimizerState {
  step: number;
  slots: Record<string, SlotState>;
}

const EPS = 1e-8;
const f32 = Math.fround;

/** tfjs variable names carry a per-model prefix (`dadf3/…`); state is keyed without it. */
const stableName = (variableName: string) => variableName.replace(/^dadf\d+\//, '');

export class Optimizer {
  private step = 0;
  private readonly m = new Map<string, Float32Array>();
  private readonly v = new Map<string, Float32Array>();

  constructor(
    private readonly variables: tf.Variable[],
    private readonly config: OptimizerSpec,
    private lr: number,
  ) {
    for (const variable of variables) {
      this.m.set(variable.name, new Float32Array(variable.size));
      this.v.set(variable.name, new Float32Array(variable.size));
    }
  }

  /**
   * Applies one update from gradients keyed by variable name. On wasm the variable's storage on
   * the heap is updated in place where nothing else shares it, and the gradient read there: no
   * copy out or in.
   */
  apply(grads: Record<string, tf.Tensor>): void {
    this.step++;
    for (const p of this.variables) {
      const g = grads[p.name];
      if (!g) continue;
      const own = ownHeapStorage(p);
      if (own) {
        this.update(own, heapView(g) ?? (g.dataSync() as Float32Array), p, own);
        continue;
      }
      const next = new Float32Array(p.size);
      this.update(p.dataSync() as Float32Array, g.dataSync() as Float32Array, p, next);
      tf.tidy(() => p.assign(tf.tensor(next, p.shape, 'float32')));
    }
  }

  /** Writes the variable's next values into `next`, which may be `w` itself. */
  private update(w: Float32Array, g: Float32Array, p: tf.Variable, next: Float32Array): void {
    const { type, betas, weight_decay: wd } = this.config;
    const decays = wd > 0 && p.rank >= 2;
    const WD = f32(wd);
    const LR = f32(this.lr);
    if (type === 'sgd') {
      for (let i = 0; i < w.length; i++) {
        const gi = decays ? f32(g[i] + f32(w[i] * WD)) : g[i];
        next[i] = w[i] - f32(gi * LR);
      }
      return;
    }
    const [b1, b2] = betas;
    const t = this.step;
    const [B1, C1, B2, C2] = [f32(b1), f32(1 - b1), f32(b2), f32(1 - b2)];
    const [D1, D2] = [f32(1 - b1 ** t), f32(1 - b2 ** t)];
    const E = f32(EPS);
    const l2 = type === 'adam' && decays;
    const decoupled = type === 'adamw' && decays;
    const m = this.m.get(p.name)!;
    const v = this.v.get(p.name)!;
    const adam = loadNativeBlas().blas?.adam;
    if (adam && nativeKernelsOn()) {
      adam(w, g, m, v, next, Float32Array.of(B1, C1, B2, C2, D1, D2, E, WD, LR), Number(l2), Number(decoupled));
      return;
    }
    for (let i = 0; i < w.length; i++) {
      const gi = l2 ? f32(g[i] + f32(w[i] * WD)) : g[i];
      const mi = f32(f32(m[i] * B1) + f32(gi * C1));
      const vi = f32(f32(v[i] * B2) + f32(f32(gi * gi) * C2));
      m[i] = mi;
      v[i] = vi;
      let update = f32(f32(mi / D1) / f32(f32(Math.sqrt(f32(vi / D2))) + E));
      if (decoupled) update = f32(update + f32(w[i] * WD));
      next[i] = w[i] - f32(update * LR);
    }
  }

  setLearningRate(lr: number): void {
    this.lr = lr;
  }

  getState(): OptimizerState {
    const slots: Record<string, SlotState> = {};
    for (const p of this.variables) {
      slots[stableName(p.name)] = { shape: p.shape, m: this.m.get(p.name)!.slice(), v: this.v.get(p.name)!.slice() };
    }
    return { step: this.step, slots };
  }

  setState(state: OptimizerState): void {
    this.step = state.step;
    for (const p of this.variables) {
      const slot = state.slots[stableName(p.name)];
      if (!slot) throw new Error(`optimizer state has no slot for ${stableName(p.name)}`);
      this.m.get(p.name)!.set(slot.m);
      this.v.get(p.name)!.set(slot.v);
    }
  }
}

/** The parts of tfjs-backend-wasm's BackendWasm an update in place uses. */
interface WasmHeap {
  typedArrayFromHeap(t: { dataId: object; shape: number[]; dtype: tf.DataType }): Float32Array;
  refCount(dataId: object): number;
}

/** A float32 tensor's values on the wasm heap, without a copy; undefined on other backends. */
function heapView(t: tf.Tensor): Float32Array | undefined {
  if (tf.getBackend() !== 'wasm' || t.dtype !== 'float32') return undefined;
  return (tf.backend() as unknown as WasmHeap).typedArrayFromHeap(t);
}

/** A variable's storage on the wasm heap when no other tensor shares it (so it may be written in place). */
function ownHeapStorage(p: tf.Variable): Float32Array | undefined {
  const view = heapView(p);
  return view && (tf.backend() as unknown as WasmHeap).refCount(p.dataId) === 1 ? view : undefined;
}

/** Scales gradients so that their global L2 norm is at most maxNorm (0 = no clipping). */
export function clipByGlobalNorm(grads: Record<string, tf.Tensor>, maxNorm: number): Record<string, tf.Tensor> {
  if (!(maxNorm > 0)) return grads;
  return tf.tidy(() => {
    const norm = tf.sqrt(tf.addN(Object.values(grads).map((g) => tf.sum(tf.square(g))))).dataSync()[0];
    if (norm <= maxNorm) return Object.fromEntries(Object.entries(grads).map(([k, g]) => [k, tf.clone(g)]));
    const scale = maxNorm / norm;
    return Object.fromEntries(Object.entries(grads).map(([k, g]) => [k, tf.mul(g, scale)]));
  });
}
