import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { addBlockProduct, callKernel, insideRun, intermediates, type BackpropAttrs, type KernelArgs } from './wasm-kernel-call.js';
import { winogradPlan } from './wasm-winograd.js';
import { winogradFilterGradient } from './wasm-winograd-filter.js';
import { filterGradientBySpreadDy, takesSpreadDy } from './wasm-backprop-filter-spread.js';

/** Floats of one block of patches (the left operand of one product): about 8 MB. */
const PATCH_FLOATS = 2 * 2 ** 20;

/**
 * `dW[kh, kw, ci, co] = Σ_{b, oh, ow} x[b, oh·sh + kh − top, ow·sw + kw − left, ci] · dy[b, oh, ow, co]`
 * (x read as 0 outside the image): the filter gradient of `conv2d` and of `conv2dTranspose` on
 * wasm, as one matrix product per block of output rows, `Pᵀ · dy`, where row `(kh, kw, ci)` of
 * `Pᵀ` holds the input pixel each output pixel sees through that tap. The product is XNNPACK's
 * (wasm's `BatchMatMul`), with the pixels as its long inner dimension; the rows of `Pᵀ` are
 * copied from `x` transposed to `[ci, B, H, W]`, a row of pixels at a time. Blocks keep `Pᵀ` near
 * 8 MB (`k²` times the input otherwise) and their products are summed. Where Winograd's
 * F(4×4, 3×3) applies (`winogradPlan`: 3×3, stride 1, wide channels, enough tiles) it takes
 * {@link winogradFilterGradient} instead, and where few output channels make `dy` spread over the
 * input smaller than the patches (`takesSpreadDy`), {@link filterGradientBySpreadDy}.
 */
export function conv2DBackpropFilter(args: KernelArgs): tf.TensorInfo {
  const backend = args.backend as BackendWasm;
  const { x, dy } = args.inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const attrs = args.attrs as unknown as BackpropAttrs & { filterShape: [number, number, number, number] };
  if (attrs.dataFormat === 'NCHW') throw new Error('Conv2DBackpropFilter (wasm): only NHWC is supported');
  const plan = winogradPlan(x.shape, attrs.filterShape, { ...attrs, dilations: 1 });
  if (plan != null) return winogradFilterGradient(backend, x, dy, plan);
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    attrs.filterShape,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
  );
  if (takesSpreadDy(info)) return filterGradientBySpreadDy(backend, x, dy, info);
  const [kh, kw, ci, co] = attrs.filterShape;
  const [b, h, w] = x.shape;
  const [oh, ow] = [info.outHeight, info.outWidth];
  const rows = kh * kw * ci;
  // Output rows (over batch and height) per block; each row is `ow` columns of `Pᵀ`.
  const rowsPerBlock = Math.max(1, Math.min(b * oh, Math.floor(PATCH_FLOATS / (rows * ow))));
  const { keep, release } = intermediates(backend);
  try {
    const xT = keep(callKernel(tf.Transpose, backend, { x }, { perm: [3, 0, 1, 2] }));
    let sum: tf.TensorInfo | null = null;
    for (let first = 0; first < b * oh; first += rowsPerBlock) {
      const count = Math.min(rowsPerBlock, b * oh - first);
      const n = count * ow;
      const patches = keep(backend.makeOutput([1, rows, n], 'float32'));
      // makeOutput may grow the heap, which detaches earlier views: take the views after it.
      const p = backend.typedArrayFromHeap(patches) as Float32Array;
      const src = backend.typedArrayFromHeap(xT) as Float32Array;
      fillPatches(
        p,
        src,
        { b, h, w, kh, kw, ci, oh, ow, sh: info.strideHeight, sw: info.strideWidth, top: info.padInfo.top, left: info.padInfo.left },
        first,
        count,
      );
      const dyBlock =
        count === b * oh
          ? dy
          : keep(callKernel(tf.Slice, backend, { x: { ...dy, shape: [b * oh * ow, co] } }, { begin: [first * ow, 0], size: [n, co] }));
      sum = addBlockProduct(backend, sum, patches, { ...dyBlock, shape: [1, n, co] }, keep);
    }
    return { ...(sum as tf.TensorInfo), shape: [kh, kw, ci, co] };
  } finally {
    release(x, dy);
  }
}

/** Runs of a row shorter than this are copied value by value. */
const SHORT_RUN = 64;

interface Geometry {
  b: number;
  h: number;
  w: number;
  kh: number;
  kw: number;
  ci: number;
  oh: number;
  ow: number;
  sh: number;
  sw: number;
  top: number;
  left: number;
}

/**
 * Writes `Pᵀ` for output rows `first … first + count − 1` (rows counted over batch and height):
 * `p[(i·kw + j)·ci + c][r·ow + q] = xT[c, bᵣ, ohᵣ·sh + i − top, q·sw + j − left]`, 0 outside.
 */
function fillPatches(p: Float32Array, xT: Float32Array, g: Geometry, first: number, count: number): void {
  const { b, h, w, kh, kw, ci, oh, ow, sh, sw, top, left } = g;
  const n = count * ow;
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      // Output columns whose input column lies inside the image: q in [q0, q1).
      const [q0, q1] = insideRun(j, sw, left, w, ow);
      for (let c = 0; c < ci; c++) {
        const rowStart = ((i * kw + j) * ci + c) * n;
        for (let r = 0; r < count; r++) {
          const at = rowStart + r * ow;
          const br = Math.floor((first + r) / oh);
          const hr = ((first + r) % oh) * sh + i - top;
          if (hr < 0 || hr >= h) {
            p.fill(0, at, at + ow);
            continue;
          }
          if (q0 > 0) p.fill(0, at, at + q0);
          if (q1 < ow) p.fill(0, at + q1, at + ow);
          const line = ((c * b + br) * h + hr) * w;
          if (sw === 1) {
            const from = line + q0 + j - left;
            // Short runs by hand: a subarray and a set per run cost more than the copy itself.
            if (q1 - q0 < SHORT_RUN) for (let q = 0; q < q1 - q0; q++) p[at + q0 + q] = xT[from + q];
            else p.set(xT.subarray(from, from + (q1 - q0)), at + q0);
          } else {
            for (let q = q0; q < q1; q++) p[at + q] = xT[line + q * sw + j - left];
          }
        }
      }
    }
  }
}
