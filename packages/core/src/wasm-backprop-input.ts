import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import {
  callKernel,
  callWasmOwn,
  convExplicit,
  insideRun,
  intermediates,
  type BackpropAttrs,
  type KernelArgs,
} from './wasm-kernel-call.js';
import { winogradPlan } from './wasm-winograd.js';
import { winogradInputGradient } from './wasm-winograd-input.js';

type Attrs = BackpropAttrs & { inputShape: [number, number, number, number] };

/**
 * `dx = conv2d_transpose(dy, W)` (the forward pass of `conv2dTranspose`, and the input gradient
 * of `conv2d`) on wasm's XNNPACK convolution, against ~1.5 GFLOP/s for wasm 4.22's own kernel.
 *
 * - Stride 1: one convolution of `dy` with W flipped in space and its channels swapped, padded
 *   `k − 1 − pad` on the top and left.
 * - Stride s > 1: the output is split into its s×s phases (rows `s·q + a`, columns `s·r + b`).
 *   Each phase is a stride-1 convolution of `dy` with the taps of W that reach it (⌈k/s⌉ per
 *   axis: 2×2 of a 4×4 stride-2 filter), and the phases are interleaved into `dx`. The same
 *   products are summed as by the definition, s² times fewer than convolving `dy` with zeros
 *   inserted between its pixels.
 *
 * - Small maps (at most {@link PRODUCT_PIXELS_PER_CHANNEL} pixels of dy per output channel):
 *   one matrix product with the filter as it is, see {@link byProduct}.
 * - 3×3 stride 1 where Winograd's F(4×4, 3×3) applies to the convolution (`winogradPlan`):
 *   its adjoint, {@link winogradInputGradient}.
 *
 * NCHW and paddings these do not cover go to wasm's own kernel.
 */
export function conv2DBackpropInput(args: KernelArgs): tf.TensorInfo {
  const { dy, filter } = args.inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
  const attrs = args.attrs as unknown as Attrs;
  const [kh, kw, inC, outC] = filter.shape as [number, number, number, number];
  const info = tf.backend_util.computeConv2DInfo(attrs.inputShape, [kh, kw, inC, outC], attrs.strides, 1, attrs.pad, attrs.dimRoundingMode);
  const [oh, ow] = [dy.shape[1], dy.shape[2]];
  if (attrs.dataFormat === 'NCHW' || oh !== info.outHeight || ow !== info.outWidth) return own(args);
  const backend = args.backend as BackendWasm;
  if (takesProduct(filter.shape, attrs.inputShape[0] * oh * ow)) return byProduct(backend, dy, filter, info);
  // The default tile count even while filters are held: an input gradient runs once per filter in most updates, so its transform is rarely reused.
  const plan = winogradPlan(attrs.inputShape, filter.shape, { ...attrs, dilations: 1 });
  if (plan != null) return winogradInputGradient(backend, dy, filter, plan);
  const rows = phases(kh, info.strideHeight, info.padInfo.top, attrs.inputShape[1], oh);
  const cols = phases(kw, info.strideWidth, info.padInfo.left, attrs.inputShape[2], ow);
  if (rows == null || cols == null) return own(args);
  return info.strideHeight === 1 && info.strideWidth === 1
    ? strideOne(backend, dy, filter, attrs.inputShape, rows[0], cols[0])
    : byPhases(backend, dy, filter, attrs.inputShape, [info.strideHeight, info.strideWidth], rows, cols);
}

/**
 * dx comes from one matrix product with the filter as it lies in memory ({@link byProduct}) when
 * dy has at most this many pixels (over the batch) per output channel, and the kernel is wider
 * than 1×1. The convolutions prepare a new filter on every call (taps reversed, channels swapped,
 * then packed by XNNPACK): on a 16×16 map of 256 channels that costs about as much as the
 * products themselves (12 ms against 8 ms). From 4 pixels per channel on, the convolutions are faster.
 */
export const PRODUCT_PIXELS_PER_CHANNEL = 2;

/** Whether dx of a filter `[kh, kw, inC, outC]` and dy of `pixels` pixels (over the batch) comes from {@link byProduct}. */
export function takesProduct([kh, kw, , outC]: number[], pixels: number): boolean {
  return kh * kw > 1 && pixels <= PRODUCT_PIXELS_PER_CHANNEL * outC;
}

/**
 * `cols = W · dyᵀ`, the filter `[kh·kw·inC, outC]` as it lies in memory times dy
 * transposed to `[outC, pixels]`, then each tap's `[inC, pixels]` block added into dx at its
 * offset (channel-major, one run of a row at a time) and dx transposed back to channels last.
 */
function byProduct(backend: BackendWasm, dy: tf.TensorInfo, filter: tf.TensorInfo, info: tf.backend_util.Conv2DInfo): tf.TensorInfo {
  const { batchSize: b, inHeight: h, inWidth: w, inChannels: inC, outHeight: oh, outWidth: ow, strideHeight: sh, strideWidth: sw } = info;
  const [kh, kw, , outC] = filter.shape;
  const { top, left } = info.padInfo;
  const n = b * oh * ow;
  const { keep, release } = intermediates(backend);
  try {
    const dyT = keep(callKernel(tf.Transpose, backend, { x: { ...dy, shape: [n, outC] } }, { perm: [1, 0] }));
    const cols = keep(
      callKernel(
        tf.BatchMatMul,
        backend,
        { a: { ...filter, shape: [1, kh * kw * inC, outC] }, b: { ...dyT, shape: [1, outC, n] } },
        { transposeA: false, transposeB: false },
      ),
    );
    // makeOutput may grow the heap, which detaches earlier views: take the views after it.
    const dxT = keep(backend.makeOutput([inC, b * h * w], 'float32'));
    const acc = backend.typedArrayFromHeap(dxT) as Float32Array;
    const c = backend.typedArrayFromHeap(cols) as Float32Array;
    acc.fill(0);
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++) {
        // Rows and columns of dy whose dx row and column lie inside the image.
        const [r0, r1] = insideRun(i, sh, top, h, oh);
        const [q0, q1] = insideRun(j, sw, left, w, ow);
        const shift = j - left;
        for (let ci = 0; ci < inC; ci++) {
          const tap = ((i * kw + j) * inC + ci) * n;
          for (let bi = 0; bi < b; bi++) {
            for (let r = r0; r < r1; r++) {
              const y = r * sh + i - top;
              const src = tap + (bi * oh + r) * ow;
              const dst = ((ci * b + bi) * h + y) * w + shift;
              if (sw === 1) for (let q = q0; q < q1; q++) acc[dst + q] += c[src + q];
              else for (let q = q0; q < q1; q++) acc[dst + q * sw] += c[src + q];
            }
          }
        }
      }
    }
    const dx = callKernel(tf.Transpose, backend, { x: dxT }, { perm: [1, 0] });
    return { ...dx, shape: [b, h, w, inC] };
  } finally {
    release(dy, filter);
  }
}

/** wasm's own kernel, for the layouts the fast paths do not handle. */
function own(args: KernelArgs): tf.TensorInfo {
  return callWasmOwn(tf.Conv2DBackpropInput, args) as tf.TensorInfo;
}

/**
 * One output phase along one axis: output indices `s·q + a` (q < count) read `dy` indices
 * `q + start + j` (j < taps) with filter taps `first + s·(taps − 1 − j)`; `dy` is padded by
 * `padBefore`/`padAfter` zeros so that phase row q is the convolution's output row q.
 */
export interface Phase {
  a: number;
  count: number;
  taps: number;
  first: number;
  padBefore: number;
  padAfter: number;
}

/**
 * The phases of one axis (stride s, kernel k, padding `pad` before the first input, `size`
 * outputs of dx from `n` of dy), or null when one would need negative padding (then wasm's own
 * kernel runs). Exported for the tests, which check that their cases take these phases.
 */
export function phases(k: number, s: number, pad: number, size: number, n: number): Phase[] | null {
  const out: Phase[] = [];
  for (let a = 0; a < s; a++) {
    const count = Math.ceil((size - a) / s);
    if (count <= 0) continue;
    const first = (a + pad) % s;
    const taps = first < k ? Math.ceil((k - first) / s) : 0;
    const c = (a + pad - first) / s;
    const start = c - (taps - 1);
    if (taps > 0 && start > 0) return null;
    const end = count - 1 + c;
    out.push({ a, count, taps, first, padBefore: taps > 0 ? -start : 0, padAfter: taps > 0 ? Math.max(0, end - (n - 1)) : 0 });
  }
  return out;
}

/** Stride 1: the flipped, channel-swapped filter over `dy`. */
function strideOne(
  backend: BackendWasm,
  dy: tf.TensorInfo,
  filter: tf.TensorInfo,
  inputShape: number[],
  r: Phase,
  c: Phase,
): tf.TensorInfo {
  const [b, h, w, inC] = inputShape;
  const { keep, release } = intermediates(backend);
  let result: tf.TensorInfo | null = null;
  try {
    // Not kept between calls: kept filters fragment the heap of a training step (64², batch 2 no longer fit).
    const flipped = keep(flippedTaps(backend, keep(callKernel(tf.Transpose, backend, { x: filter }, { perm: [0, 1, 3, 2] }))));
    const conv = keep(convExplicit(backend, dy, flipped, [r.padBefore, r.padAfter, c.padBefore, c.padAfter]));
    result =
      conv.shape[1] === h && conv.shape[2] === w
        ? conv
        : callKernel(tf.Slice, backend, { x: conv }, { begin: [0, 0, 0, 0], size: [b, h, w, inC] });
    return result;
  } finally {
    release(dy, filter, ...(result ? [result] : []));
  }
}

/**
 * `w` `[kh, kw, a, b]` with its taps in reverse order (`out[i, j] = w[kh − 1 − i, kw − 1 − j]`),
 * each tap one contiguous block copied as a whole: wasm's `Reverse` takes ~10× as long.
 */
function flippedTaps(backend: BackendWasm, w: tf.TensorInfo): tf.TensorInfo {
  const [kh, kw, a, b] = w.shape;
  const out = backend.makeOutput(w.shape, 'float32');
  // makeOutput may grow the heap, which detaches earlier views: take the views after it.
  const to = backend.typedArrayFromHeap(out) as Float32Array;
  const from = backend.typedArrayFromHeap(w) as Float32Array;
  const tap = a * b;
  for (let t = 0; t < kh * kw; t++) to.set(from.subarray(t * tap, (t + 1) * tap), (kh * kw - 1 - t) * tap);
  return out;
}

/** Stride > 1: one convolution per output phase, interleaved into dx. */
function byPhases(
  backend: BackendWasm,
  dy: tf.TensorInfo,
  filter: tf.TensorInfo,
  inputShape: number[],
  [strideH, strideW]: number[],
  rows: Phase[],
  cols: Phase[],
): tf.TensorInfo {
  const [b, h, w, inC] = inputShape;
  const [, kw, , outC] = filter.shape;
  const { keep, release } = intermediates(backend);
  try {
    // [kh, kw, outC, inC]: each tap is one contiguous outC·inC block.
    const swapped = keep(callKernel(tf.Transpose, backend, { x: filter }, { perm: [0, 1, 3, 2] }));
    const tap = outC * inC;
    const results: { r: Phase; c: Phase; y: tf.TensorInfo | null }[] = [];
    for (const r of rows) {
      for (const c of cols) {
        if (r.taps === 0 || c.taps === 0) {
          results.push({ r, c, y: null });
          continue;
        }
        const sub = keep(backend.makeOutput([r.taps, c.taps, outC, inC], 'float32'));
        const subVals = backend.typedArrayFromHeap(sub) as Float32Array;
        const all = backend.typedArrayFromHeap(swapped) as Float32Array;
        for (let jh = 0; jh < r.taps; jh++) {
          const th = r.first + strideH * (r.taps - 1 - jh);
          for (let jw = 0; jw < c.taps; jw++) {
            const tw = c.first + strideW * (c.taps - 1 - jw);
            const from = (th * kw + tw) * tap;
            subVals.set(all.subarray(from, from + tap), (jh * c.taps + jw) * tap);
          }
        }
        results.push({ r, c, y: keep(convExplicit(backend, dy, sub, [r.padBefore, r.padAfter, c.padBefore, c.padAfter])) });
      }
    }
    // makeOutput may grow the heap, which detaches earlier views: take every view after it.
    const out = backend.makeOutput([b, h, w, inC], 'float32');
    const dx = backend.typedArrayFromHeap(out) as Float32Array;
    for (const { r, c, y } of results) {
      if (y == null) {
        for (let n = 0; n < b; n++)
          for (let q = 0; q < r.count; q++)
            for (let p = 0; p < c.count; p++) {
              const at = ((n * h + strideH * q + r.a) * w + strideW * p + c.a) * inC;
              dx.fill(0, at, at + inC);
            }
        continue;
      }
      const vals = backend.typedArrayFromHeap(y) as Float32Array;
      const [yh, yw] = [y.shape[1], y.shape[2]];
      for (let n = 0; n < b; n++) {
        for (let q = 0; q < r.count; q++) {
          const rowOut = (n * h + strideH * q + r.a) * w;
          const rowIn = (n * yh + q) * yw;
          for (let p = 0; p < c.count; p++) {
            const from = (rowIn + p) * inC;
            dx.set(vals.subarray(from, from + inC), (rowOut + strideW * p + c.a) * inC);
          }
        }
      }
    }
    return out;
  } finally {
    release(dy, filter);
  }
}
