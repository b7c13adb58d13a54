// Named parameters of a model, in two groups (stage 1 trains 'transformer', stage 2 'flow'),
// plus fixed buffers (the flows' channel permutations) that checkpoints also carry.
import * as tf from '@tensorflow/tfjs-core';
import { UserError } from '../../common/errors.ts';
import type { Init, ParamDecl, ParamGroup } from '../../compiler/blocks/params.ts';
import { normalArray, rngFor, uniformArray } from './prng.ts';

/** One tensor's values for checkpoints: row-major data and its shape. */
export interface NamedWeight {
  shape: number[];
  data: Float32Array;
}

let nextModelId = 0;

export class ParamStore {
  private readonly params = new Map<string, { variable: tf.Variable; group: ParamGroup }>();
  private readonly buffers = new Map<string, NamedWeight>();
  /** tfjs variable names are global; this prefix keeps two models apart. */
  private readonly prefix = `dadf${nextModelId++}/`;

  constructor(private readonly seed: number) {}

  add(name: string, group: ParamGroup, shape: number[], init: Init): tf.Variable {
    if (this.params.has(name)) throw new Error(`parameter ${name} defined twice`);
    const size = shape.reduce((a, b) => a * b, 1);
    const values = initValues(size, init, rngFor(this.seed, name));
    const variable = tf.variable(tf.tensor(values, shape), true, this.prefix + name);
    this.params.set(name, { variable, group });
    return variable;
  }

  /** Creates the variables a block declares (compiler/blocks), by name. */
  declare(decls: ParamDecl[]): Map<string, tf.Variable> {
    return new Map(decls.map((d) => [d.name, this.add(d.name, d.group, d.shape, d.init)]));
  }

  /** A fixed (never trained) array stored with the weights, e.g. a permutation. */
  addBuffer(name: string, values: number[]): number[] {
    this.buffers.set(name, { shape: [values.length], data: Float32Array.from(values) });
    return values;
  }

  buffer(name: string): number[] {
    const b = this.buffers.get(name);
    if (!b) throw new Error(`unknown buffer ${name}`);
    return Array.from(b.data);
  }

  /** The variable of a declared parameter. */
  variable(name: string): tf.Variable {
    const p = this.params.get(name);
    if (!p) throw new Error(`internal: no parameter ${name} was declared`);
    return p.variable;
  }

  variables(group?: ParamGroup): tf.Variable[] {
    return [...this.params.values()].filter((p) => group === undefined || p.group === group).map((p) => p.variable);
  }

  names(): string[] {
    return [...this.params.keys(), ...this.buffers.keys()];
  }

  getWeights(): Record<string, NamedWeight> {
    const out: Record<string, NamedWeight> = {};
    for (const [name, { variable }] of this.params) out[name] = { shape: [...variable.shape], data: variable.dataSync() as Float32Array };
    for (const [name, b] of this.buffers) out[name] = { shape: [...b.shape], data: Float32Array.from(b.data) };
    return out;
  }

  /** Replaces every weight; names and shapes must match exactly. */
  setWeights(weights: Record<string, NamedWeight>): void {
    const expected = new Set(this.names());
    const missing = [...expected].filter((n) => !(n in weights));
    const extra = Object.keys(weights).filter((n) => !expected.has(n));
    if (missing.length || extra.length) {
      throw new UserError('checkpoint weights do not match the model', {
        hint: `${missing.length ? `missing: ${missing.slice(0, 5).join(', ')}; ` : ''}${extra.length ? `unexpected: ${extra.slice(0, 5).join(', ')}; ` : ''}was it written by a different pipeline?`,
      });
    }
    for (const [name, w] of Object.entries(weights)) {
      const param = this.params.get(name);
      const current = param ? param.variable.shape : this.buffers.get(name)!.shape;
      if (current.length !== w.shape.length || current.some((d, i) => d !== w.shape[i])) {
        throw new UserError(`checkpoint weight ${name} has shape [${w.shape}] but the model expects [${current}]`, {
          hint: 'was it written by a different pipeline?',
        });
      }
      if (param) param.variable.assign(tf.tensor(w.data, w.shape));
      else this.buffers.set(name, { shape: [...w.shape], data: Float32Array.from(w.data) });
    }
  }

  dispose(): void {
    for (const { variable } of this.params.values()) variable.dispose();
    this.params.clear();
  }
}

function initValues(size: number, init: Init, rng: () => number): Float32Array {
  switch (init.kind) {
    case 'zeros':
      return new Float32Array(size);
    case 'ones':
      return new Float32Array(size).fill(1);
    case 'constant':
      return new Float32Array(size).fill(init.value);
    case 'normal':
      return normalArray(size, 0, init.std, rng);
    case 'uniform':
      return uniformArray(size, -init.limit, init.limit, rng);
    case 'xavier': {
      const limit = Math.sqrt(6 / (init.fanIn + init.fanOut));
      return uniformArray(size, -limit, limit, rng);
    }
  }
}
