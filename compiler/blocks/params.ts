// A block's parameters, declared once: the plan counts them, the runtime creates them from the
// same list (name, shape, initialisation, training stage), checkpoints and the ONNX export
// read them by name. Values are drawn from a generator keyed by the name, so the order of
// declaration never changes a value.
export type ParamGroup = 'transformer' | 'flow';

export type Init =
  | { kind: 'zeros' }
  | { kind: 'ones' }
  | { kind: 'constant'; value: number }
  | { kind: 'normal'; std: number }
  | { kind: 'uniform'; limit: number }
  /** Glorot/Xavier uniform: limit √(6 / (fanIn + fanOut)). */
  | { kind: 'xavier'; fanIn: number; fanOut: number };

export interface ParamDecl {
  name: string;
  shape: number[];
  init: Init;
  /** The training stage that updates it: 'transformer' (stage 1) or 'flow' (stage 2). */
  group: ParamGroup;
}

function elementsOf(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

export function paramCount(decls: ParamDecl[]): number {
  return decls.reduce((a, d) => a + elementsOf(d.shape), 0);
}

/** A dense layer `name.w` [fanIn, fanOut] (Xavier) and `name.b` [fanOut] (zeros). */
export function linearParams(name: string, group: ParamGroup, fanIn: number, fanOut: number, bias = true): ParamDecl[] {
  const w: ParamDecl = { name: `${name}.w`, shape: [fanIn, fanOut], init: { kind: 'xavier', fanIn, fanOut }, group };
  return bias ? [w, { name: `${name}.b`, shape: [fanOut], init: { kind: 'zeros' }, group }] : [w];
}

/** A norm's affine: `name.g` (ones) and `name.b` (zeros) of one shape. */
export function normParams(name: string, group: ParamGroup, shape: number[]): ParamDecl[] {
  return [
    { name: `${name}.g`, shape, init: { kind: 'ones' }, group },
    { name: `${name}.b`, shape, init: { kind: 'zeros' }, group },
  ];
}
