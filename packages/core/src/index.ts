// Side effects first: gradients for every tfjs-core kernel, and the kernels wasm lacks.
import './register-gradients.js';
import './wasm-kernels.js';

export { registerAllGradients } from './register-gradients.js';
export { registerWasmKernels } from './wasm-kernels.js';
export { initBackend, installNodeWebGpu } from './backend.js';
export type { BackendName, BackendAttempt, BackendChoice, InitBackendOptions } from './backend.js';
export { TpfrError, ShapeError, ValueError, BackendError, formatShape } from './errors.js';
export { assertRank, assertFloat, assertFinite, assertInteger } from './checks.js';
export { squaredEuclideanDistance, cosineDistance, pairwiseDistance, l2NormalizeRows } from './distances.js';
export type { Metric } from './distances.js';
export { knn, knnTileSizes, DEFAULT_KNN_MEMORY_BUDGET } from './knn.js';
export type { KnnOptions, KnnResult } from './knn.js';
export { detach } from './detach.js';
export { gatherRows, pickColumns } from './gather-rows.js';
export { topkRows, TOPK_GROUP } from './top-k-rows.js';
export { neighbourhoodAttention, applyAttentionActivation } from './attention.js';
export { tiedNeighbourhoodAttention } from './tied-attention.js';
export { foldExemplarConstantChannels } from './exemplar-constant-channels.js';
export type { TiedAttentionOptions, TiedAttentionResult } from './tied-attention.js';
export type { AttentionActivation, NeighbourhoodAttentionOptions, NeighbourhoodAttentionResult } from './attention.js';
export { featureMapToRows, rowsToFeatureMap, queryRows, peerPoolRows } from './pixels.js';
export type { PeerPooling } from './pixels.js';
export { readTorchCheckpoint, CheckpointError, ForbiddenGlobalError, UnknownOpcodeError, float16ToFloat32, bfloat16ToFloat32, torchTensorToFloat32, TORCH_DTYPES } from './torch/index.js';
export type { TorchCheckpoint, TorchTensor, ReadTorchCheckpointOptions, TorchDType, TorchDataTypes, TorchData, CheckpointErrorReason } from './torch/index.js';
export { createRng, hashSeed, hashString } from './random.js';
export type { Rng } from './random.js';
