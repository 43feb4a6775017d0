/**
 * Reading PyTorch checkpoints: `readTorchCheckpoint(bytes)` turns the bytes of a
 * `torch.save(state_dict)` file (zip or legacy format) into named typed arrays. Imports no tfjs
 * and no Node built-in. Import from `@tpfr/core/torch` (its only entry point).
 * @module
 */
export { readTorchCheckpoint } from './read-checkpoint.js';
export type { TorchCheckpoint, TorchTensor, ReadTorchCheckpointOptions } from './types.js';
export { TORCH_DTYPES, isTorchData, torchArrayName } from './dtypes.js';
export type { TorchDType, TorchDataTypes, TorchData, TorchDTypeInfo } from './dtypes.js';
export { CheckpointError, ForbiddenGlobalError, UnknownOpcodeError } from './errors.js';
export type { CheckpointErrorReason } from './errors.js';
export { float16ToFloat32, bfloat16ToFloat32, torchTensorToFloat32 } from './half.js';
