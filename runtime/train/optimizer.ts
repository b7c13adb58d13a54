// Optimizers with explicit, serialisable state (so a resumed run continues bit for bit):
// AdamW (decoupled weight decay, Loshchilov & Hutter), Adam (L2 in the gradient), SGD.
// Weight decay applies to matrices and tokens (rank ≥ 2), not to biases and norm scales.
import * as tf from '@tensorflow/tfjs-core';
import type { Optimizer as OptimizerSpec } from '../../compiler/spec.ts';

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

/** tfjs variable names carry a per-model prefix (`dadf3/…`); state is keyed without it. */
const stableName = (variableName: string) => variableName.replace(/^dadf\d+\//, '');

export class Optimizer {
  private step = 0;
  private readonly m = new Map<string, tf.Variable>();
  private readonly v = new Map<string, tf.Variable>();

  constructor(
    private readonly variables: tf.Variable[],
    private readonly config: OptimizerSpec,
    private lr: number,
  ) {
    for (const variable of variables) {
      this.m.set(variable.name, tf.variable(tf.zerosLike(variable), false));
      this.v.set(variable.name, tf.variable(tf.zerosLike(variable), false));
    }
  }

  /** Applies one update from gradients keyed by variable name. */
  apply(grads: Record<string, tf.Tensor>): void {
    this.step++;
    const [b1, b2] = this.config.betas;
    const wd = this.config.weight_decay;
    const t = this.step;
    tf.tidy(() => {
      for (const p of this.variables) {
        let g = grads[p.name];
        if (!g) continue;
        const decays = wd > 0 && p.rank >= 2;
        if (this.config.type === 'sgd') {
          if (decays) g = tf.add(g, tf.mul(p, wd));
          p.assign(tf.sub(p, tf.mul(g, this.lr)));
          continue;
        }
        if (this.config.type === 'adam' && decays) g = tf.add(g, tf.mul(p, wd));
        const m = this.m.get(p.name)!;
        const v = this.v.get(p.name)!;
        m.assign(tf.add(tf.mul(m, b1), tf.mul(g, 1 - b1)));
        v.assign(tf.add(tf.mul(v, b2), tf.mul(tf.square(g), 1 - b2)));
        const mHat = tf.div(m, 1 - b1 ** t);
        const vHat = tf.div(v, 1 - b2 ** t);
        let update = tf.div(mHat, tf.add(tf.sqrt(vHat), EPS));
        if (this.config.type === 'adamw' && decays) update = tf.add(update, tf.mul(p, wd));
        p.assign(tf.sub(p, tf.mul(update, this.lr)));
      }
    });
  }

  setLearningRate(lr: number): void {
    this.lr = lr;
  }

  getState(): OptimizerState {
    const slots: Record<string, SlotState> = {};
    for (const p of this.variables) {
      slots[stableName(p.name)] = {
        shape: p.shape,
        m: this.m.get(p.name)!.dataSync() as Float32Array,
        v: this.v.get(p.name)!.dataSync() as Float32Array,
      };
    }
    return { step: this.step, slots };
  }

  setState(state: OptimizerState): void {
    this.step = state.step;
    for (const p of this.variables) {
      const slot = state.slots[stableName(p.name)];
      if (!slot) throw new Error(`optimizer state has no slot for ${stableName(p.name)}`);
      this.m.get(p.name)!.assign(tf.tensor(slot.m, slot.shape));
      this.v.get(p.name)!.assign(tf.tensor(slot.v, slot.shape));
    }
  }

  dispose(): void {
    tf.dispose([...this.m.values(), ...this.v.values()]);
  }
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
