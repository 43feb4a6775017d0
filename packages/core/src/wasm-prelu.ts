import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { KernelArgs } from './wasm-kernel-call.js';
import { heapArray, offsetOf, simdKernels } from './wasm-simd-module.js';

/**
 * `Prelu` on wasm by our SIMD kernel where `alpha` is one value or one per channel (tfjs-wasm runs
 * it a value at a time); wasm's own elsewhere. The same rule: `x < 0 ? alpha·x : x`.
 */
export function preluKernel(args: KernelArgs, own: () => tf.TensorInfo): tf.TensorInfo {
  const backend = args.backend as BackendWasm;
  const { x, alpha } = args.inputs as { x: tf.TensorInfo; alpha: tf.TensorInfo };
  const c = x.shape[x.shape.length - 1] ?? 1;
  const perChannel = alpha.shape.every((d, i) => d === 1 || (i === alpha.shape.length - 1 && d === c));
  const a = tf.util.sizeFromShape(alpha.shape);
  const ex = simdKernels(backend);
  if (
    !ex ||
    x.dtype !== 'float32' ||
    alpha.dtype !== 'float32' ||
    x.shape.length === 0 ||
    c % 4 !== 0 ||
    !perChannel ||
    (a !== 1 && a !== c)
  )
    return own();
  const out = backend.makeOutput(x.shape, 'float32');
  const av = backend.typedArrayFromHeap(alpha) as Float32Array;
  const alphas = heapArray(backend, a === 1 ? new Float32Array(c).fill(av[0]) : av.slice(), 'float32');
  try {
    ex.prelu(offsetOf(backend, x), offsetOf(backend, out), tf.util.sizeFromShape(x.shape) / c, c, offsetOf(backend, alphas));
  } finally {
    backend.disposeData(alphas.dataId);
  }
  return out;
}
