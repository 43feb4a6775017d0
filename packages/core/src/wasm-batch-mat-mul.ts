import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { callKernel, callWasmOwn, intermediates, type KernelArgs } from './wasm-kernel-call.js';
import { offsetOf, simdKernels } from './wasm-simd-module.js';

/**
 * `BatchMatMul` on wasm with a transposed operand: wasm 4.22 takes XNNPACK only for untransposed
 * operands of batch 1, and runs every other product in a scalar loop (about 1 GFLOP/s: 240 ms
 * for `aᵀ·b` of `[1024, 512]` and `[1024, 256]`, a weight gradient of the peer layer's
 * projections). Here a transposed operand of batch 1 is transposed first (a copy) and the
 * product goes to XNNPACK, where the product has {@link WORK_PER_MOVED_VALUE} multiply-adds or
 * more per value copied (so not `xᵀ·x` of a long `[N, 3]`, whose copy would cost more than the
 * loop). Batched products of untransposed operands go to our SIMD kernel ({@link batchedRows}),
 * the others keep wasm's own.
 */
/** Multiply-adds per value of a transposed operand from which transposing it first pays. */
export const WORK_PER_MOVED_VALUE = 16;

/** Whether a product of batch 1 with these shapes and flags is transposed first and run on XNNPACK. */
export function takesTransposed(aShape: number[], bShape: number[], transposeA: boolean, transposeB: boolean): boolean {
  if (!transposeA && !transposeB) return false;
  const [ar, ac] = aShape.slice(-2);
  const [br, bc] = bShape.slice(-2);
  const [m, k] = transposeA ? [ac, ar] : [ar, ac];
  const n = transposeB ? br : bc;
  const moved = (transposeA ? ar * ac : 0) + (transposeB ? br * bc : 0);
  return m * n * k >= WORK_PER_MOVED_VALUE * moved;
}

/**
 * A batched product `a [..., m, k] · b [..., k, n]` (the same batch dimensions, no transposes,
 * float32, n a multiple of 4) by our SIMD kernel, each output row the sum of b's rows weighted by
 * a's; or null where it does not apply. wasm's own runs every batched product in a scalar loop
 * (the attention's `[4096, 1, 5] · [4096, 5, 512]`, its weights times each pixel's neighbours,
 * took 26 ms for 21 MFLOP).
 */
function batchedRows(
  backend: BackendWasm,
  a: tf.TensorInfo,
  b: tf.TensorInfo,
  transposeA: boolean,
  transposeB: boolean,
): tf.TensorInfo | null {
  const lead = a.shape.slice(0, -2);
  if (transposeA || transposeB || a.dtype !== 'float32' || b.dtype !== 'float32' || b.shape.length !== a.shape.length) return null;
  if (!lead.every((d, i) => d === b.shape[i])) return null;
  const [m, k] = a.shape.slice(-2);
  const n = b.shape[b.shape.length - 1];
  const ex = simdKernels(backend);
  if (!ex || n % 4 !== 0 || b.shape[b.shape.length - 2] !== k) return null;
  const out = backend.makeOutput([...lead, m, n], 'float32');
  ex.batch_rows(offsetOf(backend, a), offsetOf(backend, b), offsetOf(backend, out), tf.util.sizeFromShape(lead), m, k, n);
  return out;
}

export function batchMatMul(args: KernelArgs): tf.TensorInfo {
  const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
  const { transposeA, transposeB } = args.attrs as { transposeA: boolean; transposeB: boolean };
  const batch = (x: tf.TensorInfo) => tf.util.sizeFromShape(x.shape.slice(0, -2));
  if (batch(a) > 1 || batch(b) > 1) {
    const rows = batchedRows(args.backend as BackendWasm, a, b, transposeA, transposeB);
    if (rows) return rows;
  }
  if (
    batch(a) !== 1 ||
    batch(b) !== 1 ||
    a.dtype !== 'float32' ||
    b.dtype !== 'float32' ||
    !takesTransposed(a.shape, b.shape, transposeA, transposeB)
  )
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
