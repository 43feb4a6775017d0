import type * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { intermediates } from './wasm-kernel-call.js';
import { filterTransform, matMul, outputGradientTransform, productsToTiles, transformsOf } from './wasm-winograd.js';
import { tilingOf } from './wasm-winograd-tiling.js';

/**
 * The input gradient of a 3×3 stride-1 convolution by Winograd's F(4×4, 3×3), the adjoint of
 * {@link winogradConv2D} on the same tiles: a tile's output is `Aᵀ [U ⊙ V] A` with `V = Bᵀ d B`,
 * so the gradient of its 6×6 input is `d̄ = B [(A dy Aᵀ) ⊙ Uᵀ] Bᵀ` (one `[tiles, Cout] · [Cout,
 * Cin]` product per position, with U's matrices transposed), and the overlapping 6×6 tiles are
 * added into dx. The transposed U is kept between calls while filters are held
 * (`holdWinogradFilters`), so the input gradients of a training step prepare each filter once.
 *
 * Equal to the direct gradient up to float32 rounding; the tests bound the difference.
 * @param dy the gradient of the convolution's output `[B, outH, outW, Cout]`.
 * @param filter the convolution's filter `[3, 3, Cin, Cout]`.
 * @param info the convolution's geometry (`winogradPlan` of its input's shape).
 * @returns a new `[B, H, W, Cin]`.
 */
export function winogradInputGradient(
  backend: BackendWasm,
  dy: tf.TensorInfo,
  filter: tf.TensorInfo,
  info: tf.backend_util.Conv2DInfo,
): tf.TensorInfo {
  const { batchSize: b, inHeight: h, inWidth: w, inChannels: cin } = info;
  const { top, left } = info.padInfo;
  const { tiles, chunk, origin } = tilingOf(info);
  const { keep, release } = intermediates(backend);
  const done = (t: tf.TensorInfo) => backend.disposeData(t.dataId);
  const dx = backend.makeOutput([b, h, w, cin], 'float32');
  try {
    const ut = filterTransform(backend, filter, 'adjoint', keep); // 36 × [1, Cout, Cin]
    const { kb } = transformsOf(backend);
    (backend.typedArrayFromHeap(dx) as Float32Array).fill(0);
    for (let t0 = 0; t0 < tiles; t0 += chunk) {
      const n = Math.min(chunk, tiles - t0);
      const ms = outputGradientTransform(backend, dy, info, t0, n).map(keep); // 36 × [1, n, Cout]
      // d̄ = the input transform's adjoint (B ⊗ B) over the 36 products' gradients, tile-major [n, 36, Cin].
      const dd = keep(
        productsToTiles(backend, n, cin, kb, (p) => {
          const prod = matMul(backend, ms[p], ut[p]); // [1, n, Cin]
          done(ms[p]);
          return prod;
        }),
      );
      // Add each 6×6 tile into dx where it lies inside the input (tiles overlap by 2 rows and columns).
      const ddv = backend.typedArrayFromHeap(dd) as Float32Array;
      const dxv = backend.typedArrayFromHeap(dx) as Float32Array;
      for (let t = 0; t < n; t++) {
        const [bi, r0, c0] = origin(t0 + t);
        for (let i = 0; i < 6; i++) {
          const row = r0 + i - top;
          if (row < 0 || row >= h) continue;
          for (let j = 0; j < 6; j++) {
            const col = c0 + j - left;
            if (col < 0 || col >= w) continue;
            const src = (t * 36 + i * 6 + j) * cin;
            const dst = ((bi * h + row) * w + col) * cin;
            for (let c = 0; c < cin; c++) dxv[dst + c] += ddv[src + c];
          }
        }
      }
      done(dd);
    }
    return dx;
  } catch (e) {
    done(dx);
    throw e;
  } finally {
    release(dy, filter, dx);
  }
}
