/**
 * Test helpers for code built on @tpfr: leak checks, seeded fast-check arbitraries of feature
 * maps, a per-backend suite runner for vitest, and a writer of PyTorch checkpoints
 * (`writeTorchCheckpoint`). Import from `@tpfr/core/testing`.
 * @module
 */
export { expectNoLeaks, collectTensors } from './leaks.js';
export { featureMapArb, matrixArb } from './arbitraries.js';
export { byteMutationArb, mutateBytes } from './byte-mutations.js';
export type { ByteMutation } from './byte-mutations.js';
export type { ShapedData, DataArbOptions, FeatureMapBounds } from './arbitraries.js';
export { describeEachBackend, availableBackends, TEST_BACKENDS } from './backends.js';
export { writeTorchCheckpoint } from './torch-writer.js';
export { fixturesPresent } from './fixtures.js';
export { probeNodeWebGpu, SWIFTSHADER_ICD } from './node-webgpu.js';
export type { NodeWebGpuProbe } from './node-webgpu.js';
export type { TorchStorage, TorchTensorView, WritableTorchTensor, WriteTorchCheckpointOptions } from './torch-writer.js';
