// The headline metrics, in the order every table, CSV and report lists them.
export const METRICS = ['image_auroc', 'pixel_auroc', 'aupro', 'f1_max_image', 'f1_max_pixel'] as const;
