import type * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { heapArray, offsetOf, simdKernels } from './wasm-simd-module.js';
import { tilingOf } from './wasm-winograd-tiling.js';

/**
 * The tile transforms of Winograd's F(4×4, 3×3) by our SIMD kernels ({@link simdKernels}): each
 * 6×6 input tile goes through `Bᵀ d B` straight into the 36 product operands, each product's rows
 * through `Aᵀ M A` straight into the output image, and a filter through `G g Gᵀ` into its 36 taps,
 * one pass each over the values. Composed of tfjs kernels, the same steps took a gather, three
 * transposes, two small products, a split and a copy.
 *
 * Used where the channel counts are multiples of 4 and the kernels are available; elsewhere the
 * composed steps run.
 */

/** The i32 offsets of `ts` in a new backend tensor (the kernels read their 36 operands' places there). */
function offsetTable(backend: BackendWasm, ts: tf.TensorInfo[]): tf.TensorInfo {
  return heapArray(
    backend,
    ts.map((t) => offsetOf(backend, t)),
    'int32',
  );
}

/** The SIMD tile transforms of one backend (see the module's doc). */
export interface TileTransforms {
  /** U = G g Gᵀ of a filter `[3, 3, Cin, Cout]`: 36 new `[1, Cin, Cout]`, one per position (the products' right operands). */
  filter(g: tf.TensorInfo): tf.TensorInfo[];
  /**
   * V = Bᵀ d B of tiles `t0 … t0 + n − 1` of the planned convolution's input `x` `[B, H, W, Cin]`
   * (zeros outside it): 36 new `[1, n, Cin]`, one per position (the products' left operands).
   */
  input(x: tf.TensorInfo, info: tf.backend_util.Conv2DInfo, t0: number, n: number): tf.TensorInfo[];
  /**
   * Y = Aᵀ M A of the same tiles from the 36 products `[1, n, Cout]`, each 4×4 tile written into
   * `out` `[B, outH, outW, Cout]` (cropped to its size).
   */
  output(ms: tf.TensorInfo[], info: tf.backend_util.Conv2DInfo, t0: number, n: number, out: tf.TensorInfo): void;
}

/** The transforms for a convolution of `cin` → `cout` channels on `backend`, or null where they do not apply. */
export function tileTransforms(backend: BackendWasm, cin: number, cout: number): TileTransforms | null {
  if (cin % 4 !== 0 || cout % 4 !== 0) return null;
  const ex = simdKernels(backend);
  if (!ex) return null;
  /** 36 new `[1, rows, cols]` filled by `fill` from the table of their offsets. */
  const positions = (rows: number, cols: number, fill: (table: number) => void) => {
    const ts = Array.from({ length: 36 }, () => backend.makeOutput([1, rows, cols], 'float32'));
    const table = offsetTable(backend, ts);
    try {
      fill(offsetOf(backend, table));
    } catch (e) {
      for (const t of ts) backend.disposeData(t.dataId);
      throw e;
    } finally {
      backend.disposeData(table.dataId);
    }
    return ts;
  };
  return {
    filter(g) {
      return positions(cin, cout, (table) => ex.filter_tiles(offsetOf(backend, g), cin * cout, table));
    },
    input(x, info, t0, n) {
      const [, h, w] = x.shape;
      const { th, tw } = tilingOf(info);
      return positions(n, cin, (table) =>
        ex.input_tiles(offsetOf(backend, x), h, w, cin, t0, n, th, tw, info.padInfo.top, info.padInfo.left, table),
      );
    },
    output(ms, info, t0, n, out) {
      const { th, tw } = tilingOf(info);
      const table = offsetTable(backend, ms);
      try {
        ex.output_tiles(offsetOf(backend, table), n, cout, t0, th, tw, info.outHeight, info.outWidth, offsetOf(backend, out));
      } finally {
        backend.disposeData(table.dataId);
      }
    },
  };
}
