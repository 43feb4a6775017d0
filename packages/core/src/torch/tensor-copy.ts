/**
 * Copies a tensor out of its storage's bytes into a typed array of its own, in C order:
 * contiguous tensors in one `slice`, strided views element by element.
 * @module
 */
import { CheckpointError } from './errors.js';
import { HOST_LITTLE_ENDIAN, swapBytes, type TorchData } from './dtypes.js';
import { formatShape } from '../errors.js';
import type { TensorRef } from './state-dict.js';

/** Number of elements of a shape (1 for shape `[]`). May exceed 2^53 for absurd shapes. */
export function numelOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Whether strides are C-order contiguous for the shape (size-1 dims may have any stride). */
export function isContiguous(shape: readonly number[], stride: readonly number[]): boolean {
  let expected = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    if (shape[i] !== 1 && stride[i] !== expected) return false;
    expected *= shape[i]!;
  }
  return true;
}

/**
 * Throws unless every element of the tensor lies inside its storage (view). Call before any
 * allocation.
 * @returns the tensor's data size in bytes.
 */
export function checkTensorInStorage(name: string, ref: TensorRef): number {
  const numel = numelOf(ref.shape);
  const { storage } = ref;
  if (numel === 0) return 0;
  let last = ref.offset;
  for (let i = 0; i < ref.shape.length; i++) last += (ref.shape[i]! - 1) * ref.stride[i]!;
  if (!(last < storage.viewNumel)) {
    throw new CheckpointError(
      'corrupt',
      `tensor '${name}' (size ${formatShape(ref.shape)}, stride ${formatShape(ref.stride)}, offset ${ref.offset}) inside its storage '${storage.key}' of ${storage.viewNumel} elements`,
      `a last element at index ${last}`,
    );
  }
  return numel * storage.info.bytes;
}

/**
 * The tensor's elements, copied in C order.
 * @param storageBytes the bytes of the tensor's root storage (little-endian).
 */
export function copyTensor(ref: TensorRef, storageBytes: Uint8Array): TorchData {
  const { info } = ref.storage;
  const size = info.bytes;
  const numel = numelOf(ref.shape);
  const base = (ref.storage.viewOffset + ref.offset) * size;
  let out: Uint8Array;
  if (isContiguous(ref.shape, ref.stride)) {
    out = storageBytes.slice(base, base + numel * size);
  } else {
    out = new Uint8Array(numel * size);
    const rank = ref.shape.length;
    const index = new Array<number>(rank).fill(0);
    let src = base;
    for (let e = 0; e < numel; e++) {
      out.set(storageBytes.subarray(src, src + size), e * size);
      // Advance the multi-index (last dim fastest) and the source offset with it.
      for (let d = rank - 1; d >= 0; d--) {
        if (++index[d]! < ref.shape[d]!) {
          src += ref.stride[d]! * size;
          break;
        }
        src -= (ref.shape[d]! - 1) * ref.stride[d]! * size;
        index[d] = 0;
      }
    }
  }
  if (!HOST_LITTLE_ENDIAN) swapBytes(out, size);
  return info.view(out.buffer as ArrayBuffer);
}
