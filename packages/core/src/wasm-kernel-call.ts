import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

/** What a kernel function receives. */
export type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap };

/** The attributes both convolution-backprop kernels share. */
export interface BackpropAttrs {
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/**
 * The outputs `q` in `[q0, q1)` (of `count`) whose input `q·stride + tap − pad` lies inside
 * `[0, size)`: along one axis, the run of outputs that a filter tap reads inside the image.
 */
export function insideRun(tap: number, stride: number, pad: number, size: number, count: number): [number, number] {
  const q0 = Math.min(count, Math.max(0, Math.ceil((pad - tap) / stride)));
  const q1 = Math.max(q0, Math.min(count, Math.floor((size - 1 + pad - tap) / stride) + 1));
  return [q0, q1];
}

/** Runs another kernel registered for wasm (a backend-level call: no engine, no tape). */
export function callKernel(name: string, backend: unknown, inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap): tf.TensorInfo {
  const kernel = tf.getKernel(name, 'wasm');
  if (kernel == null) throw new Error(`@tpfr/core wasm kernels: kernel ${name} is not registered for wasm`);
  return kernel.kernelFunc({ inputs, backend: backend as tf.KernelBackend, attrs }) as tf.TensorInfo;
}

/** wasm's own kernels that ours replaced, by name (see `registerWasmKernels`). */
const wasmOwn = new Map<string, tf.KernelFunc>();

/** Records wasm's own kernel `name` before ours replaces it. */
export function keepWasmOwn(name: string, kernel: tf.KernelFunc): void {
  wasmOwn.set(name, kernel);
}

/** Runs wasm's own kernel `name` (the one ours replaced) on the call's arguments. */
export function callWasmOwn(name: string, args: KernelArgs): tf.TensorInfo | tf.TensorInfo[] {
  const kernel = wasmOwn.get(name);
  if (kernel == null) throw new Error(`@tpfr/core wasm kernels: wasm's own ${name} was not recorded`);
  return kernel(args as unknown as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo | tf.TensorInfo[];
}

/** A wasm stride-1 convolution with explicit padding `[top, bottom, left, right]` (and dilations). */
export function convExplicit(
  backend: BackendWasm,
  x: tf.TensorInfo,
  filter: tf.TensorInfo,
  [top, bottom, left, right]: number[],
  dilations: [number, number] = [1, 1],
): tf.TensorInfo {
  return callKernel(tf.Conv2D, backend, { x, filter }, {
    strides: [1, 1],
    pad: [
      [0, 0],
      [top, bottom],
      [left, right],
      [0, 0],
    ],
    dataFormat: 'NHWC',
    dilations,
    dimRoundingMode: undefined as unknown as string,
  } as unknown as tf.NamedAttrMap);
}

/**
 * Intermediate results of a composed kernel: `keep(t)` records `t`, `release()` frees every
 * recorded one except those named (the kernel's inputs and result).
 */
export function intermediates(backend: BackendWasm): {
  keep: (t: tf.TensorInfo) => tf.TensorInfo;
  release: (...except: tf.TensorInfo[]) => void;
} {
  const kept: tf.TensorInfo[] = [];
  return {
    keep: (t) => {
      kept.push(t);
      return t;
    },
    release: (...except) => {
      for (const t of kept) if (!except.some((e) => e.dataId === t.dataId)) backend.disposeData(t.dataId);
    },
  };
}

/**
 * `sum + a·b` for one block of a blocked product (`a` `[1, m, n]`, `b` `[1, n, p]`, on XNNPACK):
 * the block's product, added to the sum of the blocks before (null for the first). The sum and the
 * product it replaces go to `keep` (the caller's intermediates, freed when it is done).
 */
export function addBlockProduct(
  backend: BackendWasm,
  sum: tf.TensorInfo | null,
  a: tf.TensorInfo,
  b: tf.TensorInfo,
  keep: (t: tf.TensorInfo) => tf.TensorInfo,
): tf.TensorInfo {
  const product = callKernel(tf.BatchMatMul, backend, { a, b }, { transposeA: false, transposeB: false });
  if (sum == null) return product;
  keep(sum);
  keep(product);
  return callKernel(tf.Add, backend, { a: sum, b: product }, {});
}
