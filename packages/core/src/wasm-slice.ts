import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { callWasmOwn, type KernelArgs } from './wasm-kernel-call.js';

/**
 * `Slice`, `SplitV` and `Unpack` for wasm, copying only the values they keep.
 *
 * tfjs-backend-wasm 4.22's `Slice` starts with `backend.readSync(x)`, which copies the whole input
 * out of the wasm heap before taking the slice: cutting a 512-row tile off a 64 MB tensor took
 * 40 ms, as long as a 20-GFLOP matrix product, and `SplitV` and `Unpack` call it once per piece
 * (so a split into n pieces copies the input n times). These read the input through a view of
 * the heap instead. The values are the same bits; strings and complex numbers keep wasm's own.
 */

const viewable = (dtype: tf.DataType) => dtype === 'float32' || dtype === 'int32' || dtype === 'bool';

/**
 * Copies `x[begin : begin + size]` into a new backend tensor: one contiguous run per index of the
 * leading axes (the trailing axes taken whole are merged into the run).
 */
export function sliceFromHeap(backend: BackendWasm, x: tf.TensorInfo, begin: number[], size: number[]): tf.TensorInfo {
  // makeOutput may grow the heap, which detaches earlier views: take the views after it.
  const out = backend.makeOutput(size, x.dtype);
  const total = tf.util.sizeFromShape(size);
  if (total === 0) return out;
  const xv = backend.typedArrayFromHeap(x);
  const ov = backend.typedArrayFromHeap(out);
  const shape = x.shape;
  const rank = shape.length; // ≥ 1: tf.slice refuses scalars
  // The run: the last axis, merged with the axes before it while every later axis is whole.
  let inner = rank - 1;
  let run = size[inner];
  while (inner > 0 && size[inner] === shape[inner]) {
    inner--;
    run *= size[inner];
  }
  const strides = tf.util.computeStrides(shape);
  const stride = (axis: number) => (axis === rank - 1 ? 1 : strides[axis]);
  let src = 0;
  for (let a = 0; a < rank; a++) src += begin[a] * stride(a);
  if (inner === 0) {
    ov.set(xv.subarray(src, src + run));
    return out;
  }
  // An odometer over the leading axes 0 … inner − 1.
  const idx = new Array<number>(inner).fill(0);
  const short = run < 16;
  for (let dst = 0; dst < total; dst += run) {
    if (short) for (let j = 0; j < run; j++) ov[dst + j] = xv[src + j];
    else ov.set(xv.subarray(src, src + run), dst);
    for (let a = inner - 1; a >= 0; a--) {
      src += stride(a);
      if (++idx[a] < size[a]) break;
      src -= size[a] * stride(a);
      idx[a] = 0;
    }
  }
  return out;
}

/** The `Slice` kernel. */
export function slice(args: KernelArgs): tf.TensorInfo {
  const { x } = args.inputs as { x: tf.TensorInfo };
  if (!viewable(x.dtype)) return callWasmOwn(tf.Slice, args) as tf.TensorInfo;
  const { begin, size } = args.attrs as unknown as { begin: number | number[]; size: number | number[] };
  const [b, s] = tf.slice_util.parseSliceParams(x as unknown as tf.Tensor, begin, size);
  tf.slice_util.assertParamsValid(x as unknown as tf.Tensor, b, s);
  return sliceFromHeap(args.backend as BackendWasm, x, b, s);
}

/** The `SplitV` kernel (`tf.split`): one slice per piece. */
export function splitV(args: KernelArgs): tf.TensorInfo[] {
  const { x } = args.inputs as { x: tf.TensorInfo };
  if (!viewable(x.dtype)) return callWasmOwn(tf.SplitV, args) as tf.TensorInfo[];
  const { numOrSizeSplits, axis } = args.attrs as unknown as { numOrSizeSplits: number | number[]; axis: number };
  const ax = tf.util.parseAxisParam(axis, x.shape)[0];
  const sizes = tf.backend_util.prepareSplitSize(x as unknown as tf.Tensor, numOrSizeSplits, ax);
  const begin = new Array<number>(x.shape.length).fill(0);
  const backend = args.backend as BackendWasm;
  return sizes.map((s) => {
    const size = x.shape.slice();
    size[ax] = s;
    const piece = sliceFromHeap(backend, x, begin.slice(), size);
    begin[ax] += s;
    return piece;
  });
}

/** The `Unpack` kernel (`tf.unstack`): one slice per index of the axis, without that axis. */
export function unpack(args: KernelArgs): tf.TensorInfo[] {
  const { value } = args.inputs as { value: tf.TensorInfo };
  if (!viewable(value.dtype)) return callWasmOwn(tf.Unpack, args) as tf.TensorInfo[];
  const axis = tf.util.parseAxisParam((args.attrs as unknown as { axis: number }).axis, value.shape)[0];
  const n = value.shape[axis];
  const outShape = value.shape.filter((_, i) => i !== axis);
  const size = value.shape.slice();
  size[axis] = 1;
  const begin = new Array<number>(value.shape.length).fill(0);
  const backend = args.backend as BackendWasm;
  return Array.from({ length: n }, (_, i) => {
    begin[axis] = i;
    const piece = sliceFromHeap(backend, value, begin, size);
    // The same values without the unit axis: a new shape on the same data.
    return { dataId: piece.dataId, dtype: piece.dtype, shape: outShape };
  });
}
