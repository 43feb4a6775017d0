import type * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { intermediates } from './wasm-kernel-call.js';
import { inputTransform, matMul, outputGradientTransform, split, transformsOf, transpose, view } from './wasm-winograd.js';
import { tilingOf } from './wasm-winograd-tiling.js';

/**
 * The filter gradient of a 3×3 stride-1 convolution by Winograd's F(4×4, 3×3), the adjoint of
 * {@link winogradConv2D}: a tile's output is `Aᵀ [U ⊙ V] A` with `U = G g Gᵀ` and `V = Bᵀ d B`, so
 * the gradient of the 36 transformed taps is `dU_p = Σ_tiles V_pᵀ · (A dy Aᵀ)_p` (one
 * `[Cin, tiles] · [tiles, Cout]` product per position p) and the filter's is `dg = Gᵀ dU G`.
 * That is 36 multiply-adds per tile, input and output channel where the direct gradient takes
 * 144, and the patches it reads are the 6×6 tiles (2.25× the input) instead of 9 shifted copies.
 *
 * Equal to the direct gradient up to float32 rounding; the tests bound the difference.
 * @param x the convolution's input `[B, H, W, Cin]`.
 * @param dy the gradient of its output `[B, outH, outW, Cout]`.
 * @param info the convolution's geometry (`winogradPlan`: 3×3, stride 1).
 * @returns a new `[3, 3, Cin, Cout]`.
 */
export function winogradFilterGradient(
  backend: BackendWasm,
  x: tf.TensorInfo,
  dy: tf.TensorInfo,
  info: tf.backend_util.Conv2DInfo,
): tf.TensorInfo {
  const cin = x.shape[3];
  const cout = dy.shape[3];
  const { tiles, chunk } = tilingOf(info);
  const { kgt } = transformsOf(backend);
  const { keep, release } = intermediates(backend);
  const done = (t: tf.TensorInfo) => backend.disposeData(t.dataId);
  let dg: tf.TensorInfo | null = null;
  try {
    // dU, the 36 positions' gradients stacked [36, Cin·Cout], summed over the chunks of tiles.
    const du = keep(backend.makeOutput([1, 36, cin * cout], 'float32'));
    for (let t0 = 0; t0 < tiles; t0 += chunk) {
      const n = Math.min(chunk, tiles - t0);
      // Vᵀ per position: [36, Cin, n], each position's block the left operand of its product.
      const vt = keep(inputTransform(backend, x, info, t0, n)); // [n·Cin, 36]
      const vp = keep(transpose(backend, view(vt, [n, cin, 36]), [2, 1, 0]));
      done(vt);
      const vs = split(backend, vp, 36, cin, n).map(keep);
      done(vp);
      const ms = outputGradientTransform(backend, dy, info, t0, n).map(keep); // 36 × [1, n, Cout]
      for (let p = 0; p < 36; p++) {
        const prod = matMul(backend, vs[p], ms[p]); // [1, Cin, Cout]
        done(vs[p]);
        done(ms[p]);
        const to = backend.typedArrayFromHeap(du) as Float32Array;
        const from = backend.typedArrayFromHeap(prod) as Float32Array;
        if (t0 === 0) to.set(from, p * cin * cout);
        else for (let i = 0, o = p * cin * cout; i < from.length; i++) to[o + i] += from[i];
        done(prod);
      }
    }
    // dg = (G ⊗ G)ᵀ · dU: [9, Cin·Cout], the filter's layout.
    dg = matMul(backend, kgt, du);
    return { ...dg, shape: [3, 3, cin, cout] };
  } finally {
    release(x, dy, ...(dg ? [dg] : []));
  }
}
