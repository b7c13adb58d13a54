// A typed wrapper over tf.customGrad for ops with a fixed number of tensor inputs.
import * as tf from '@tensorflow/tfjs-core';

export type Forward<I extends tf.Tensor[], O extends tf.Tensor> = (
  inputs: I,
  save: tf.GradSaveFunc,
) => { value: O; gradFunc: (dy: O, saved: tf.Tensor[]) => tf.Tensor[] };

/** Builds an op `(...inputs) => output` whose gradient is `gradFunc`. */
export function customOp<I extends tf.Tensor[], O extends tf.Tensor>(forward: Forward<I, O>): (...inputs: I) => O {
  const fn = (...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const save = args[args.length - 1] as tf.GradSaveFunc;
    return forward(args.slice(0, -1) as I, save);
  };
  const op = tf.customGrad(fn as unknown as Parameters<typeof tf.customGrad>[0]);
  return (...inputs: I) => op(...inputs) as O;
}
