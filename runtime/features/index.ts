// Public face of the feature cache.
export { FeatureCache, imageKeyOfFile, type CacheImage } from './cache.ts';
