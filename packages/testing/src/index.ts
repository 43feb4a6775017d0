/**
 * @tpfr/testing: the test helpers of the @tpfr workspace (a private package: never published,
 * never a dependency of a published package; tests import it, and tsconfig `paths` and vitest's
 * aliases resolve it to these sources). Leak checks, seeded fast-check arbitraries, a per-backend
 * suite runner for vitest, a writer of PyTorch checkpoints, the one CRC-32, fixtures' presence,
 * the Node WebGPU probe and the micro model. Subpaths: `/layers` (the layer contract),
 * `/torch-craft` and `/zip-craft` (hand-made checkpoints and zips), `/torch-fixtures` (the
 * authors' generator fixtures), `/crash-testing` (child processes killed on purpose).
 * @module
 */
export { expectNoLeaks, collectTensors } from './leaks.js';
export { featureMapArb, matrixArb } from './arbitraries.js';
export type { ShapedData, DataArbOptions, FeatureMapBounds } from './arbitraries.js';
export { byteMutationArb, mutateBytes } from './byte-mutations.js';
export type { ByteMutation } from './byte-mutations.js';
export { describeEachBackend, availableBackends, TEST_BACKENDS } from './backends.js';
export { writeTorchCheckpoint } from './torch-writer.js';
export type { TorchStorage, TorchTensorView, WritableTorchTensor, WriteTorchCheckpointOptions } from './torch-writer.js';
export { crc32 } from './crc32.js';
export { fixturesPresent } from './fixtures.js';
export { probeNodeWebGpu, SWIFTSHADER_ICD } from './node-webgpu.js';
export type { NodeWebGpuProbe } from './node-webgpu.js';
export { MICRO_MODEL } from './micro-model.js';
export { injectXnnStatusFailure } from './kernel-failure.js';
export type { InjectedKernelFailure } from './kernel-failure.js';
export { symbolicPeerInputs, seededTpfrLayer, freeLayer } from './tpfr-layer-fixtures.js';
