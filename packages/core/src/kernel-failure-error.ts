import { TpfrError, formatMiB, formatShape } from './errors.js';

/** What a {@link KernelFailureError} says of the failed kernel and of the memory at that moment. */
export interface KernelFailure {
  /** The kernel that failed (`Conv2D`, `FusedMatMul`, …), or the step on a GPU's error scope. */
  kernel: string;
  /** The shapes of its inputs, in order (`[B, H, W, C]` and so on). */
  inputShapes: number[][];
  /** Why it failed, in words (an XNNPACK status, a failed allocation, a RangeError's message, …). */
  reason: string;
  /** Bytes of tensors the backend held when it failed (`tf.memory().numBytes`). */
  bytesInUse: number;
  /** The wasm heap's size in bytes, where the backend is wasm; `null` elsewhere. */
  heapBytes: number | null;
}

/**
 * A backend kernel failed: an XNNPACK status (its out-of-memory 6, …), an exhausted wasm heap, a
 * RangeError or abort while it ran, a GPU's out-of-memory error. Raised by the kernels that
 * {@link guardKernels} watches instead of going on with an unwritten result. The message names the
 * kernel, its input shapes and the memory in use, e.g.
 * `Conv2D: expected a result, received XNN status 6 from xnn_create_convolution2d_nhwc_f32 (inputs [1,128,128,64], [3,3,64,64]; 2034.1 MiB of tensors in use, wasm heap 4095.9 MiB)`.
 */
export class KernelFailureError extends TpfrError implements KernelFailure {
  readonly kernel: string;
  readonly inputShapes: number[][];
  readonly reason: string;
  readonly bytesInUse: number;
  readonly heapBytes: number | null;
  constructor(failure: KernelFailure) {
    const heap = failure.heapBytes == null ? '' : `, wasm heap ${formatMiB(failure.heapBytes)}`;
    const inputs = failure.inputShapes.map((s) => formatShape(s)).join(', ') || 'none';
    super(
      failure.kernel,
      `expected a result, received ${failure.reason} (inputs ${inputs}; ${formatMiB(failure.bytesInUse)} of tensors in use${heap})`,
    );
    this.kernel = failure.kernel;
    this.inputShapes = failure.inputShapes;
    this.reason = failure.reason;
    this.bytesInUse = failure.bytesInUse;
    this.heapBytes = failure.heapBytes;
  }
}
