// A small ONNX graph builder: nodes with unique names and outputs, float32/int64
// initializers (no folding here: the ONNX engine of runtime/tensor-ops folds known values), and a
// running byte count of the weights so an export that cannot fit in one protobuf is refused.
import { AttributeType, DataType, type AttributeMsg, type Dim, type NodeMsg, type TensorMsg, type ValueInfoMsg } from './onnx-proto.ts';

export type AttrValue = number | number[] | string | { floats: number[] } | { int: number } | { float: number };

function bytesOf(data: Float32Array | BigInt64Array): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

function attribute(name: string, value: AttrValue): AttributeMsg {
  if (typeof value === 'string') return { name, type: AttributeType.STRING, s: new TextEncoder().encode(value) };
  if (Array.isArray(value)) return { name, type: AttributeType.INTS, ints: value };
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) throw new Error(`internal: attribute ${name} = ${value}: write floats as { float: x }`);
    return { name, type: AttributeType.INT, i: value };
  }
  if ('floats' in value) return { name, type: AttributeType.FLOATS, floats: value.floats };
  if ('int' in value) return { name, type: AttributeType.INT, i: value.int };
  return { name, type: AttributeType.FLOAT, f: value.float };
}

export class GraphBuilder {
  readonly nodes: NodeMsg[] = [];
  readonly initializers: TensorMsg[] = [];
  readonly inputs: ValueInfoMsg[] = [];
  readonly outputs: ValueInfoMsg[] = [];
  /** Bytes of all initializer data so far. */
  weightBytes = 0;
  private readonly used = new Set<string>();
  private readonly constants = new Map<string, string>();
  /** Prefix for node names, so a node says which part of the model it belongs to. */
  scope = '';

  private unique(base: string): string {
    let name = base;
    for (let k = 1; this.used.has(name); k++) name = `${base}_${k}`;
    this.used.add(name);
    return name;
  }

  /** A float32 weight. The data must already be float32 row-major in the given shape. */
  weight(name: string, data: Float32Array, dims: number[]): string {
    const expected = dims.reduce((a, b) => a * b, 1);
    if (expected !== data.length) throw new Error(`internal: weight ${name} has ${data.length} values for shape [${dims}]`);
    const unique = this.unique(name);
    this.initializers.push({ name: unique, dims, dataType: DataType.FLOAT, rawData: bytesOf(data) });
    this.weightBytes += data.byteLength;
    return unique;
  }

  /** A small float32 constant (deduplicated by value). */
  float(values: number[] | number, dims?: number[]): string {
    const list = Array.isArray(values) ? values : [values];
    const shape = dims ?? (Array.isArray(values) ? [list.length] : []);
    const key = `f:${shape.join('x')}:${list.join(',')}`;
    let name = this.constants.get(key);
    if (!name) {
      name = this.weight(`const_f${this.constants.size}`, Float32Array.from(list), shape);
      this.constants.set(key, name);
    }
    return name;
  }

  /** A small int64 constant (shapes, axes, indices), deduplicated by value. */
  ints(values: number[], dims: number[] = [values.length]): string {
    const key = `i:${dims.join('x')}:${values.join(',')}`;
    let name = this.constants.get(key);
    if (!name) {
      const data = BigInt64Array.from(values.map((v) => BigInt(v)));
      name = this.unique(`const_i${this.constants.size}`);
      this.initializers.push({ name, dims, dataType: DataType.INT64, rawData: bytesOf(data) });
      this.weightBytes += data.byteLength;
      this.constants.set(key, name);
    }
    return name;
  }

  /** Adds a node and returns its output names (`outputs` of them). */
  nodeN(opType: string, inputs: string[], attrs: Record<string, AttrValue | undefined> = {}, outputs = 1, label?: string): string[] {
    const name = this.unique(`${this.scope}${label ?? opType}`);
    const outs = Array.from({ length: outputs }, (_, k) => (outputs === 1 ? name : `${name}:${k}`));
    for (const o of outs) this.used.add(o);
    const attribute_ = Object.entries(attrs)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => attribute(k, v as AttrValue));
    this.nodes.push({ name, opType, input: inputs, output: outs, attribute: attribute_ });
    return outs;
  }

  node(opType: string, inputs: string[], attrs: Record<string, AttrValue | undefined> = {}, label?: string): string {
    return this.nodeN(opType, inputs, attrs, 1, label)[0];
  }

  input(name: string, elemType: number, dims: Dim[], doc?: string): string {
    this.used.add(name);
    this.inputs.push({ name, type: { tensorType: { elemType, shape: { dim: dims.map(dimMsg) } } }, ...(doc ? { docString: doc } : {}) });
    return name;
  }

  /** Marks `value` as a graph output called `name` (through an Identity when names differ). */
  output(name: string, value: string, elemType: number, dims: Dim[], doc?: string): void {
    if (value !== name) {
      this.used.add(name);
      this.nodes.push({ name: `${name}_out`, opType: 'Identity', input: [value], output: [name], attribute: [] });
    }
    this.outputs.push({ name, type: { tensorType: { elemType, shape: { dim: dims.map(dimMsg) } } }, ...(doc ? { docString: doc } : {}) });
  }

  // Shorthands for the ops used most.
  add(a: string, b: string, label?: string) {
    return this.node('Add', [a, b], {}, label);
  }
  sub(a: string, b: string, label?: string) {
    return this.node('Sub', [a, b], {}, label);
  }
  mul(a: string, b: string, label?: string) {
    return this.node('Mul', [a, b], {}, label);
  }
  div(a: string, b: string, label?: string) {
    return this.node('Div', [a, b], {}, label);
  }
  reshape(x: string, shape: number[], label?: string) {
    return this.node('Reshape', [x, this.ints(shape)], {}, label);
  }
  transpose(x: string, perm: number[], label?: string) {
    return this.node('Transpose', [x], { perm }, label);
  }
  concat(xs: string[], axis: number, label?: string) {
    return xs.length === 1 ? xs[0] : this.node('Concat', xs, { axis }, label);
  }
  split(x: string, sizes: number[], axis: number, label?: string) {
    return this.nodeN('Split', [x, this.ints(sizes)], { axis }, sizes.length, label);
  }
  matmul(a: string, b: string, label?: string) {
    return this.node('MatMul', [a, b], {}, label);
  }
}

function dimMsg(d: Dim) {
  return typeof d === 'number' ? { dimValue: d } : { dimParam: d };
}

export const FLOAT = DataType.FLOAT;
