import * as tf from '@tensorflow/tfjs-core';
// The wasm backend registers its kernels on import; ours are registered after (and one replaced).
import '@tensorflow/tfjs-backend-wasm';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

/**
 * Kernels that the wasm backend of tfjs 4.22 lacks and that training needs, written in
 * TypeScript over the wasm heap (no copies of the inputs). Registered when `@tpfr/core` is
 * imported, only where the backend has none of its own.
 *
 * - `UnsortedSegmentSum`: the gradient of `tf.gather` (and so of the neighbourhood attention).
 * - `Conv2DBackpropFilter`: the filter gradient of `conv2d` and of `conv2dTranspose`, composed
 *   of wasm's own (XNNPACK) kernels, see {@link conv2DBackpropFilter}.
 *
 * It also replaces one kernel that wasm has but runs ~20× slower than its convolutions:
 * - `Conv2DBackpropInput` (the forward pass of `conv2dTranspose` and the input gradient of
 *   `conv2d`), recast as an XNNPACK convolution, see {@link conv2DBackpropInput}.
 */
function unsortedSegmentSum(args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }): tf.TensorInfo {
  const backend = args.backend as BackendWasm;
  const { x, segmentIds } = args.inputs as { x: tf.TensorInfo; segmentIds: tf.TensorInfo };
  const numSegments = (args.attrs as { numSegments: number }).numSegments;
  const idsSize = tf.util.sizeFromShape(segmentIds.shape);
  const xSize = tf.util.sizeFromShape(x.shape);
  const inner = idsSize === 0 ? 0 : xSize / idsSize;
  const outShape = [numSegments, ...x.shape.slice(segmentIds.shape.length)];
  // makeOutput may grow the heap, which detaches earlier views: take the views after it.
  const out = backend.makeOutput(outShape, x.dtype);
  const outVals = backend.typedArrayFromHeap(out);
  const xVals = backend.typedArrayFromHeap(x);
  const ids = backend.typedArrayFromHeap(segmentIds);
  outVals.fill(0);
  for (let i = 0; i < idsSize; i++) {
    const s = ids[i];
    if (s < 0 || s >= numSegments) continue; // dropped, as in TensorFlow
    const src = i * inner;
    const dst = s * inner;
    for (let j = 0; j < inner; j++) outVals[dst + j] += xVals[src + j];
  }
  return out;
}

type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap };

/** The attributes both convolution-backprop kernels share. */
interface BackpropAttrs {
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/** Runs another kernel registered for wasm (a backend-level call: no engine, no tape). */
function callKernel(name: string, backend: unknown, inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap): tf.TensorInfo {
  const kernel = tf.getKernel(name, 'wasm');
  if (kernel == null) throw new Error(`@tpfr/core wasm kernels: kernel ${name} is not registered for wasm`);
  return kernel.kernelFunc({ inputs, backend: backend as tf.KernelBackend, attrs }) as tf.TensorInfo;
}

/**
 * `dW[kh, kw, ci, co] = Σ_{b, oh, ow} xpad[b, oh·sh + kh, ow·sw + kw, ci] · dy[b, oh, ow, co]`,
 * which is itself a convolution: the input `x` seen as `[ci, H, W, B]` (batch and channels
 * swapped) convolved with `dy` seen as a filter `[OH, OW, B, co]` dilated by the stride. wasm's
 * XNNPACK convolution does the multiply-adds; the output `[ci, kh', kw', co]` is cropped to the
 * filter size and transposed to `[kh, kw, ci, co]`.
 */
function conv2DBackpropFilter(args: KernelArgs): tf.TensorInfo {
  const { backend } = args;
  const { x, dy } = args.inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const attrs = args.attrs as unknown as BackpropAttrs & { filterShape: [number, number, number, number] };
  if (attrs.dataFormat === 'NCHW') throw new Error('Conv2DBackpropFilter (wasm): only NHWC is supported');
  const info = tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number], attrs.filterShape,
    attrs.strides, 1, attrs.pad, attrs.dimRoundingMode);
  const [kh, kw, ci, co] = attrs.filterShape;
  const { top, left } = info.padInfo;
  // Rows the dilated dy filter needs to produce kh output rows (more padding than the forward's
  // bottom/right is harmless: those rows meet only zeros; fewer is cropped below).
  const bottom = Math.max(0, kh + (info.outHeight - 1) * info.strideHeight - info.inHeight - top);
  const right = Math.max(0, kw + (info.outWidth - 1) * info.strideWidth - info.inWidth - left);
  const disposables: tf.TensorInfo[] = [];
  const keep = (t: tf.TensorInfo) => { disposables.push(t); return t; };
  const b = backend as BackendWasm;
  try {
    const xT = keep(callKernel(tf.Transpose, b, { x }, { perm: [3, 1, 2, 0] }));
    const dyT = keep(callKernel(tf.Transpose, b, { x: dy }, { perm: [1, 2, 0, 3] }));
    const conv = keep(callKernel(tf.Conv2D, b, { x: xT, filter: dyT }, {
      strides: [1, 1], pad: [[0, 0], [top, bottom], [left, right], [0, 0]], dataFormat: 'NHWC',
      dilations: [info.strideHeight, info.strideWidth], dimRoundingMode: undefined as unknown as string,
    } as unknown as tf.NamedAttrMap));
    let cropped = conv;
    if (conv.shape[1] !== kh || conv.shape[2] !== kw) {
      cropped = keep(callKernel(tf.Slice, b, { x: conv }, { begin: [0, 0, 0, 0], size: [ci, kh, kw, co] }));
    }
    return callKernel(tf.Transpose, b, { x: cropped }, { perm: [1, 2, 0, 3] });
  } finally {
    for (const t of disposables) b.disposeData(t.dataId);
  }
}

/** wasm's own Conv2DBackpropInput, kept for the layouts the fast path does not handle. */
let wasmBackpropInput: tf.KernelFunc | null = null;

/**
 * `dx = conv2d_transpose(dy, W)` as a plain convolution: `dy` with `s − 1` zeros inserted after
 * every row and column (stride s), convolved at stride 1 with W flipped in space and with its
 * in/out channels swapped, padded `k − 1 − pad` on the top/left. wasm's XNNPACK convolution then
 * does the work at ~30 GFLOP/s, against ~1.5 GFLOP/s for wasm 4.22's own Conv2DBackpropInput;
 * the inserted zeros cost s² more multiply-adds, still far ahead.
 */
function conv2DBackpropInput(args: KernelArgs): tf.TensorInfo {
  const { backend } = args;
  const { dy, filter } = args.inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
  const attrs = args.attrs as unknown as BackpropAttrs & { inputShape: [number, number, number, number] };
  const [kh, kw, inC, outC] = filter.shape as [number, number, number, number];
  const info = tf.backend_util.computeConv2DInfo(attrs.inputShape, [kh, kw, inC, outC], attrs.strides, 1, attrs.pad, attrs.dimRoundingMode);
  const { top, left } = info.padInfo;
  const [b, h, w] = attrs.inputShape;
  const [sh, sw] = [info.strideHeight, info.strideWidth];
  const [oh, ow] = [dy.shape[1], dy.shape[2]];
  const padTop = kh - 1 - top;
  const padLeft = kw - 1 - left;
  if (attrs.dataFormat === 'NCHW' || padTop < 0 || padLeft < 0 || oh !== info.outHeight || ow !== info.outWidth) {
    return wasmBackpropInput!(args as unknown as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo;
  }
  const bw = backend as BackendWasm;
  const disposables: tf.TensorInfo[] = [];
  const keep = (t: tf.TensorInfo) => { disposables.push(t); return t; };
  try {
    let up = dy;
    if (sh > 1 || sw > 1) {
      const r = keep(callKernel(tf.Reshape, bw, { x: dy }, { shape: [b, oh, 1, ow, 1, outC] }));
      const padded = keep(callKernel(tf.PadV2, bw, { x: r }, { paddings: [[0, 0], [0, 0], [0, sh - 1], [0, 0], [0, sw - 1], [0, 0]], constantValue: 0 }));
      up = keep(callKernel(tf.Reshape, bw, { x: padded }, { shape: [b, oh * sh, ow * sw, outC] }));
    }
    const swapped = keep(callKernel(tf.Transpose, bw, { x: filter }, { perm: [0, 1, 3, 2] }));
    const flipped = keep(callKernel(tf.Reverse, bw, { x: swapped }, { dims: [0, 1] }));
    const padBottom = h + kh - 1 - up.shape[1] - padTop;
    const padRight = w + kw - 1 - up.shape[2] - padLeft;
    const conv = callKernel(tf.Conv2D, bw, { x: up, filter: flipped }, {
      strides: [1, 1], pad: [[0, 0], [padTop, Math.max(0, padBottom)], [padLeft, Math.max(0, padRight)], [0, 0]],
      dataFormat: 'NHWC', dilations: [1, 1], dimRoundingMode: undefined as unknown as string,
    } as unknown as tf.NamedAttrMap);
    if (padBottom >= 0 && padRight >= 0) return conv;
    keep(conv);
    return callKernel(tf.Slice, bw, { x: conv }, { begin: [0, 0, 0, 0], size: [b, h, w, inC] });
  } finally {
    for (const t of disposables) if (t !== dy) bw.disposeData(t.dataId);
  }
}

const wasmKernels: tf.KernelConfig[] = [
  { kernelName: tf.Conv2DBackpropFilter, backendName: 'wasm', kernelFunc: conv2DBackpropFilter as unknown as tf.KernelFunc },
  { kernelName: tf.UnsortedSegmentSum, backendName: 'wasm', kernelFunc: unsortedSegmentSum as unknown as tf.KernelFunc },
];

/** Registers the missing wasm kernels above (and the faster Conv2DBackpropInput); returns the names it registered. */
export function registerWasmKernels(): string[] {
  const done: string[] = [];
  const own = tf.getKernel(tf.Conv2DBackpropInput, 'wasm');
  if (own && own.kernelFunc !== (conv2DBackpropInput as unknown as tf.KernelFunc)) {
    wasmBackpropInput = own.kernelFunc;
    tf.unregisterKernel(tf.Conv2DBackpropInput, 'wasm');
    tf.registerKernel({ ...own, kernelFunc: conv2DBackpropInput as unknown as tf.KernelFunc });
    done.push(tf.Conv2DBackpropInput);
  }
  for (const k of wasmKernels) {
    if (tf.getKernel(k.kernelName, k.backendName) == null) {
      tf.registerKernel(k);
      done.push(k.kernelName);
    }
  }
  return done;
}

registerWasmKernels();
