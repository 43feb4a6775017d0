import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { addBlockProduct, callKernel, intermediates } from './wasm-kernel-call.js';
import { sliceFromHeap } from './wasm-slice.js';

/** Floats of one block of spread dy (the left operand of one product): about 8 MB. */
const SPREAD_FLOATS = 2 * 2 ** 20;

/**
 * Whether the filter gradient copies less by spreading `dy` than by gathering patches of `x`: at
 * stride 1, when `dy`'s `kh·kw·Co` values per input pixel are under half of the patches'
 * `kh·kw·Ci` per output pixel (few output channels: the decoder's last convolution to RGB, the
 * discriminator's to one channel).
 */
export function takesSpreadDy(info: tf.backend_util.Conv2DInfo): boolean {
  if (info.strideHeight !== 1 || info.strideWidth !== 1) return false;
  const inputPixels = info.batchSize * info.inHeight * info.inWidth;
  const outputPixels = info.batchSize * info.outHeight * info.outWidth;
  return 2 * info.outChannels * inputPixels < info.inChannels * outputPixels;
}

/**
 * `dW[kh, kw, ci, co] = Σ_{b, ih, iw} S[(kh, kw, co), (b, ih, iw)] · x[b, ih, iw, ci]` at stride
 * 1, where `S` spreads `dy`: row `(kh, kw, co)` holds at each input pixel the `dy` of the output
 * pixel that reads it through that tap (0 where none does). One product `S · x` per block of
 * input rows, with `x` as it lies in memory on the right and the long pixel axis inside; where
 * `Co` is small, `S` is much smaller than the patches of `x` (`kh·kw·Ci` per output pixel).
 * @param x the convolution's input `[B, H, W, Ci]`.
 * @param dy the gradient of its output `[B, outH, outW, Co]`.
 * @returns a new `[kh, kw, Ci, Co]`.
 */
export function filterGradientBySpreadDy(
  backend: BackendWasm,
  x: tf.TensorInfo,
  dy: tf.TensorInfo,
  info: tf.backend_util.Conv2DInfo,
): tf.TensorInfo {
  const [b, h, w, ci] = x.shape;
  const { filterHeight: kh, filterWidth: kw, outChannels: co, outHeight: oh, outWidth: ow } = info;
  const { top, left } = info.padInfo;
  const rows = kh * kw * co;
  // Input rows (over batch and height) per block; each is `w` columns of S.
  const rowsPerBlock = Math.max(1, Math.min(b * h, Math.floor(SPREAD_FLOATS / (rows * w))));
  const { keep, release } = intermediates(backend);
  let result: tf.TensorInfo | null = null;
  try {
    let sum: tf.TensorInfo | null = null;
    for (let first = 0; first < b * h; first += rowsPerBlock) {
      const count = Math.min(rowsPerBlock, b * h - first);
      const n = count * w;
      const spread = keep(backend.makeOutput([1, rows, n], 'float32'));
      // makeOutput may grow the heap, which detaches earlier views: take the views after it.
      const s = backend.typedArrayFromHeap(spread) as Float32Array;
      const d = backend.typedArrayFromHeap(dy) as Float32Array;
      for (let i = 0; i < kh; i++) {
        for (let j = 0; j < kw; j++) {
          // Input columns read through tap column j by some output column: iw − j + left in [0, ow).
          const iw0 = Math.max(0, j - left);
          const iw1 = Math.min(w, j - left + ow);
          for (let c = 0; c < co; c++) {
            const rowStart = ((i * kw + j) * co + c) * n;
            for (let r = 0; r < count; r++) {
              const at = rowStart + r * w;
              const bi = Math.floor((first + r) / h);
              const outRow = ((first + r) % h) + top - i;
              if (outRow < 0 || outRow >= oh || iw1 <= iw0) {
                s.fill(0, at, at + w);
                continue;
              }
              if (iw0 > 0) s.fill(0, at, at + iw0);
              if (iw1 < w) s.fill(0, at + iw1, at + w);
              let from = ((bi * oh + outRow) * ow + iw0 - j + left) * co + c;
              for (let q = iw0; q < iw1; q++, from += co) s[at + q] = d[from];
            }
          }
        }
      }
      const xBlock =
        count === b * h
          ? { ...x, shape: [1, n, ci] }
          : keep(sliceFromHeap(backend, { ...x, shape: [b * h * w, ci] }, [first * w, 0], [n, ci]));
      sum = addBlockProduct(backend, sum, spread, { ...xBlock, shape: [1, n, ci] }, keep);
    }
    keep(sum as tf.TensorInfo);
    // [kh, kw, Co, Ci] → [kh, kw, Ci, Co].
    result = callKernel(tf.Transpose, backend, { x: { ...(sum as tf.TensorInfo), shape: [kh, kw, co, ci] } }, { perm: [0, 1, 3, 2] });
    return result;
  } finally {
    release(x, dy, ...(result ? [result] : []));
  }
}
