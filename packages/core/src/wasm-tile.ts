import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { callWasmOwn, type KernelArgs } from './wasm-kernel-call.js';

/**
 * `Tile` for wasm (what `tf.broadcastTo` and `tf.tile` run), by block copies over the heap.
 *
 * tfjs-backend-wasm 4.22's `Tile` computes an index per output value: broadcasting a `[1, 1, 1, 256]`
 * mean gradient to `[1, 16, 16, 256]` took ~4 ms, and the backward pass of instance normalization
 * does it twice per map. Here each input row is copied once and every repetition is a copy of
 * the block already written (`copyWithin`). The values are the same bits; strings keep wasm's own.
 */
export function tile(args: KernelArgs): tf.TensorInfo {
  const backend = args.backend as BackendWasm;
  const { x } = args.inputs as { x: tf.TensorInfo };
  const reps = (args.attrs as unknown as { reps: number[] }).reps;
  if (x.dtype === 'string' || x.dtype === 'complex64' || x.shape.length === 0) return callWasmOwn(tf.Tile, args) as tf.TensorInfo;
  const inShape = x.shape;
  const outShape = inShape.map((s, i) => s * reps[i]);
  // makeOutput may grow the heap, which detaches earlier views: take the views after it.
  const out = backend.makeOutput(outShape, x.dtype);
  if (tf.util.sizeFromShape(outShape) === 0) return out;
  const src = backend.typedArrayFromHeap(x) as Float32Array;
  const dst = backend.typedArrayFromHeap(out) as Float32Array;
  const rank = inShape.length;
  const inStrides = [...tf.util.computeStrides(inShape), 1];
  const outStrides = [...tf.util.computeStrides(outShape), 1];
  // Writes the block of input axis d at inAt into out at outAt, then its repetitions.
  const fill = (d: number, inAt: number, outAt: number) => {
    const n = inShape[d];
    if (d === rank - 1) dst.set(src.subarray(inAt, inAt + n), outAt);
    else for (let k = 0; k < n; k++) fill(d + 1, inAt + k * inStrides[d], outAt + k * outStrides[d]);
    const block = n * outStrides[d];
    for (let r = 1; r < reps[d]; r++) dst.copyWithin(outAt + r * block, outAt, outAt + block);
  };
  fill(0, 0, 0);
  return out;
}
