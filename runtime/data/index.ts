// Public face of data loading: layouts, images, masks, splits, summaries, and map files.
export { loadDataset } from './load.ts';
export { readImageRgb, readMask, readMaskChannels, imageSize, type ResizeFilter } from './images.ts';
export { findDataset } from './layout.ts';
export { splitValidation, trainValidationSplit } from './split.ts';
export { summarize } from './summary.ts';
export { readMap, writeMap, resizeMapBilinear, MAP_EXTENSIONS } from './maps.ts';
export type { Dataset, Sample } from './types.ts';
