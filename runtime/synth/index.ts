// Public face of the synthetic defect data generator (for `dadfc demo` and tests).
// Categories: textures carpet, wood, grid (woven), noise (smooth clouds); objects bottle (disc
// seen from above), screw (bar), nut (hexagonal ring). Defects: textures scratch, spot, crack,
// hole, color; objects scratch, spot, crack, color, missing, misplaced. Everything is a pure
// function of the seed (own PRNG, no Math.random); masks are exactly the changed pixels.
export { renderSample, defectsFor, SYNTH_CATEGORIES } from './sample.ts';
export { generateSyntheticDataset, sampleSeed } from './dataset.ts';
