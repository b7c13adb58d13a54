// Weights as read from a file or drawn at random, before they become tensors: float32 data
// in the source framework's layout (Keras HWIO, torchvision OIHW), keyed by expected name.
export interface NativeTensor {
  shape: number[];
  data: Float32Array;
}
export type NativeWeights = Map<string, NativeTensor>;
