// Public face of the feature cache.
export { FeatureCache, imageKeyOfBytes, imageKeyOfFile, defaultCacheDir, type CacheImage, type FeatureCacheOptions, type TapFeatures, type CacheStats } from './cache.ts';
