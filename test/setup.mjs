// Loaded before every test file: TensorFlow.js's "looks like you are running in Node.js" banner
// is for people choosing a backend, not for test logs (the CLI silences it the same way).
import * as tf from '@tensorflow/tfjs-core';

tf.env().set('PROD', true);
