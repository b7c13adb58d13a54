// Weight and tensor file formats, below compiler and runtime: weight files (TF.js layers,
// .safetensors, PyTorch .pth), .npy, float32 TIFF maps, float16 and the other stored dtypes,
// and content hashes of files. No tensors, no tfjs, no architectures (compiler/weights
// matches a file against an architecture).
export type { WeightFile, TensorEntry, WeightFormat, NativeTensor, NativeWeights } from './weight-file.ts';
export { elementCount } from './weight-file.ts';
export { openWeightFile } from './open.ts';
export { writeSafetensors } from './safetensors-write.ts';
export { halfToFloat, floatToHalf, halvesToFloats } from './dtypes.ts';
export { encodeNpy, decodeNpy, decodeNpyPlane } from './npy.ts';
export { parseTiff, formatTiff } from './tiff.ts';
export type { Plane } from './plane.ts';
export { hashFiles, hashBytes } from './hash.ts';
