/**
 * The shapes of what {@link readTorchCheckpoint} returns.
 * @module
 */
import type { TorchDataTypes, TorchDType } from './dtypes.js';

/**
 * One tensor of a checkpoint, copied out of its storage in C (row-major) order into an array
 * that it owns. Discriminated on `dtype`, so `t.dtype === 'int64'` narrows `t.data` to
 * `BigInt64Array`.
 */
export type TorchTensor = {
  [D in TorchDType]: {
    /** The state_dict key (`model_enc.0.weight`). */
    readonly name: string;
    readonly dtype: D;
    /** PyTorch's size, e.g. `[out, in, kH, kW]` for a conv weight; `[]` for a 0-d tensor. */
    readonly shape: number[];
    /** `shape.reduce((a, b) => a * b, 1)` elements in C order. */
    readonly data: TorchDataTypes[D];
  };
}[TorchDType];

/** A checkpoint read by {@link readTorchCheckpoint}. */
export interface TorchCheckpoint {
  /** `'zip'` (PyTorch ≥ 1.6) or `'legacy'` (PyTorch < 1.6, or `_use_new_zipfile_serialization=False`). */
  readonly format: 'legacy' | 'zip';
  /** The tensors by name, in state_dict order. */
  readonly tensors: Map<string, TorchTensor>;
  /**
   * Keys whose values are neither tensors nor dicts (`epoch`, `_extra_state`...), skipped.
   * Nested dicts are flattened with `.` (`state_dict.conv.weight`).
   */
  readonly ignored: string[];
}

/** Options of {@link readTorchCheckpoint}. */
export interface ReadTorchCheckpointOptions {
  /**
   * The most bytes of tensor data to allocate in total. Tensors that share a storage get a copy
   * each, and a strided view can be larger than its storage, so this bounds what a small hostile
   * file can make the reader allocate. Default: 4 × the input's size + 1 MiB.
   */
  readonly maxBytes?: number;
}

/** A checkpoint parsed up to (not including) copying tensor bytes. @internal */
export interface ParsedCheckpoint {
  readonly format: 'legacy' | 'zip';
  /** The unpickled state dict. */
  readonly root: unknown;
  /** The pickle it came from, for messages. */
  readonly where: string;
  /** Size of that pickle (bounds the walk over its dicts). */
  readonly pickleBytes: number;
  /** Storage key → its bytes (exactly numel × element size), checked against the file. */
  readonly regions: ReadonlyMap<string, Uint8Array>;
}
