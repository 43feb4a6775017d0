// Side effects first: gradients for every tfjs-core kernel, and the kernels wasm lacks.
import './register-gradients.js';
import './wasm-kernels.js';

export { initBackend, installNodeWebGpu } from './backend.js';
export type { BackendName, BackendAttempt, BackendChoice, InitBackendOptions, LoadableBackend } from './backend.js';
export { TpfrError, ShapeError, ValueError, BackendError } from './errors.js';
export { KernelFailureError } from './kernel-failure-error.js';
export type { KernelFailure } from './kernel-failure-error.js';
export { guardKernels, wasmHeapBytes } from './kernel-guard.js';
export { releaseAbandonedTape } from './abandoned-tape.js';
export { recomputed } from './recomputed.js';
export { squaredEuclideanDistance, cosineDistance, pairwiseDistance } from './distances.js';
export type { Metric } from './distances.js';
export { knn, knnTileSizes, DEFAULT_KNN_MEMORY_BUDGET } from './knn.js';
export type { KnnOptions, KnnResult } from './knn.js';
export { neighbourhoodAttention } from './attention.js';
export { spatialMean } from './spatial-mean.js';
export { instanceNorm } from './instance-norm.js';
export { tiedNeighbourhoodAttention } from './tied-attention.js';
export type { TiedAttentionOptions, TiedAttentionResult } from './tied-attention.js';
export type { AttentionActivation, NeighbourhoodAttentionOptions, NeighbourhoodAttentionResult } from './attention.js';
