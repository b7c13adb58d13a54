// What every weight-file reader gives: named tensors with shapes, whether each one's bytes
// are actually present, and a way to read them as float32.
export type WeightFormat = 'tfjs-layers' | 'safetensors' | 'pytorch-zip';

export interface TensorEntry {
  name: string;
  shape: number[];
  dtype: string;
  /** False when the bytes live in a file that is missing (a TF.js shard). */
  available: boolean;
  /** Where the bytes are (a shard file, the file itself), for messages. */
  location: string;
}

export interface WeightFile {
  /** The path as given (a file, or a TF.js model folder). */
  path: string;
  format: WeightFormat;
  entries: Map<string, TensorEntry>;
  /** The file(s) whose bytes define the weights: hashed for ids and caches. */
  contentFiles: string[];
  /** Reads one tensor as float32; throws a UserError naming the file when its bytes are missing. */
  read(name: string): Float32Array;
}

export function elementCount(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

// Weights as read from a file or drawn at random, before they become tensors: float32 data
// in the source framework's layout (Keras HWIO, torchvision OIHW), keyed by expected name.
export interface NativeTensor {
  shape: number[];
  data: Float32Array;
}
export type NativeWeights = Map<string, NativeTensor>;
