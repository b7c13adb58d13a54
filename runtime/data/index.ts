// Public face of data loading: layouts, images, masks, splits, summaries, and map files.
export { loadDataset, type LoadOptions } from './load.ts';
export { readImageRgb, readMask, readMaskChannels, imageSize, resizeNearest, DEFAULT_FILTER, type ResizeFilter } from './images.ts';
export { findDataset, IMAGE_EXTENSIONS, LAYOUT_HINT } from './layout.ts';
export { splitValidation, trainValidationSplit } from './split.ts';
export { summarize } from './summary.ts';
export { readMap, writeMap, resizeMapBilinear, MAP_EXTENSIONS } from './maps.ts';
export type { Dataset, Sample, Split, Layout, SkippedFile, DefectConfig } from './types.ts';
