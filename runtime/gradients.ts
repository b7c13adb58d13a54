// Registers tfjs-core's gradient functions. The CommonJS build of tfjs-core that Node loads
// ships no gradients (they live in its ESM `register_all_gradients`, which Node cannot import
// because of directory imports); the tfjs-layers bundle registers the same set into the
// shared global registry when it loads.
import '@tensorflow/tfjs-layers';
