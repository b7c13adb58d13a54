// Registers tfjs-core's gradient functions. The CommonJS build of tfjs-core that Node loads
// ships no gradients (they live in its ESM `register_all_gradients`, which Node cannot import
// because of directory imports); the tfjs-layers bundle registers the same set into the
// shared global registry when it loads.
import '@tensorflow/tfjs-layers';
import * as tf from '@tensorflow/tfjs-core';

// Sum's gradient as tfjs registers it multiplies dy by a tensor of ones of x's shape built in a
// JavaScript loop and copied to the backend (~20 ms of every dadf-cpu flow step, and its garbage;
// issue 19). The same product with the ones filled by the backend's Fill kernel: the same bytes.
tf.registerGradient({
  kernelName: tf.Sum,
  inputsToSave: ['x'],
  gradFunc: (dy, saved, attrs) => {
    const [x] = saved;
    const expanded = x.shape.slice();
    for (const axis of tf.util.parseAxisParam((attrs as unknown as tf.SumAttrs).axis, x.shape)) expanded[axis] = 1;
    const derX = tf.mul(tf.reshape(dy as tf.Tensor, expanded), tf.fill(x.shape, 1, 'float32'));
    return { x: () => derX };
  },
});
