/**
 * Test helpers for code built on @tpfr: leak checks, seeded fast-check arbitraries of feature
 * maps, and a per-backend suite runner for vitest. Import from `@tpfr/core/testing`.
 * @module
 */
export { expectNoLeaks, collectTensors } from './leaks.js';
export { featureMapArb, matrixArb } from './arbitraries.js';
export type { ShapedData, DataArbOptions, FeatureMapBounds } from './arbitraries.js';
export { describeEachBackend, availableBackends, TEST_BACKENDS } from './backends.js';
