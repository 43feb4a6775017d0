import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { callKernel, callWasmOwn, intermediates, type KernelArgs } from './wasm-kernel-call.js';

/**
 * `BatchMatMul` on wasm with a transposed operand: wasm 4.22 takes XNNPACK only for untransposed
 * operands of batch 1, and runs every other product in a scalar loop (about 1 GFLOP/s: 240 ms
 * for `aᵀ·b` of `[1024, 512]` and `[1024, 256]`, a weight gradient of the peer layer's
 * projections). Here a transposed operand of batch 1 is transposed first (a copy) and the
 * product goes to XNNPACK; batched products keep wasm's own kernel.
 */
export function batchMatMul(args: KernelArgs): tf.TensorInfo {
  const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
  const { transposeA, transposeB } = args.attrs as { transposeA: boolean; transposeB: boolean };
  const batch = (x: tf.TensorInfo) => tf.util.sizeFromShape(x.shape.slice(0, -2));
  if ((!transposeA && !transposeB) || batch(a) !== 1 || batch(b) !== 1 || a.dtype !== 'float32' || b.dtype !== 'float32')
    return callWasmOwn(tf.BatchMatMul, args) as tf.TensorInfo;
  const backend = args.backend as BackendWasm;
  const [ar, ac] = a.shape.slice(-2);
  const [br, bc] = b.shape.slice(-2);
  const { keep, release } = intermediates(backend);
  let out: tf.TensorInfo | null = null;
  try {
    // Each operand as [1, rows, cols], transposed where asked.
    const operand = (x: tf.TensorInfo, r: number, c: number, t: boolean) =>
      t ? keep(callKernel(tf.Transpose, backend, { x: { ...x, shape: [1, r, c] } }, { perm: [0, 2, 1] })) : { ...x, shape: [1, r, c] };
    const product = callKernel(
      tf.BatchMatMul,
      backend,
      { a: operand(a, ar, ac, transposeA), b: operand(b, br, bc, transposeB) },
      { transposeA: false, transposeB: false },
    );
    const [m, n] = product.shape.slice(-2);
    out = { ...product, shape: [...new Array(Math.max(a.shape.length, b.shape.length) - 2).fill(1), m, n] };
    return out;
  } finally {
    release(a, b, ...(out ? [out] : []));
  }
}
