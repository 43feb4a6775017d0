import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { callKernel, callWasmOwn, intermediates, type KernelArgs } from './wasm-kernel-call.js';
import { sliceFromHeap } from './wasm-slice.js';

/**
 * Winograd's minimal filtering F(4×4, 3×3) (Lavin & Gray, 2016) for wasm's 3×3 stride-1
 * convolutions: each 4×4 output tile is `Aᵀ [(G g Gᵀ) ⊙ (Bᵀ d B)] A` over its 6×6 input tile d,
 * so a tile costs 36 multiply-adds per input and output channel instead of 144. The 36
 * elementwise products over all tiles are 36 matrix products `[tiles, Cin] · [Cin, Cout]`, run by
 * XNNPACK like the convolution itself; the transforms are small matrix products too, and the
 * tile gathering and scattering are contiguous copies of channel vectors.
 *
 * The result equals the convolution up to float32 rounding (the transforms' constants are
 * exact in binary except 1/6, 1/12 and 1/24); the tests bound the difference.
 */

/** Bᵀ, G and Aᵀ of F(4×4, 3×3), interpolation points 0, ±1, ±2 and ∞. */
const BT = [
  [4, 0, -5, 0, 1, 0],
  [0, -4, -4, 1, 1, 0],
  [0, 4, -4, -1, 1, 0],
  [0, -2, -1, 2, 1, 0],
  [0, 2, -1, -2, 1, 0],
  [0, 4, 0, -5, 0, 1],
];
const G = [
  [1 / 4, 0, 0],
  [-1 / 6, -1 / 6, -1 / 6],
  [-1 / 6, 1 / 6, -1 / 6],
  [1 / 24, 1 / 12, 1 / 6],
  [1 / 24, -1 / 12, 1 / 6],
  [0, 0, 1],
];
const AT = [
  [1, 1, 1, 1, 1, 0],
  [0, 1, -1, 2, -2, 0],
  [0, 1, 1, 4, 4, 0],
  [0, 1, -1, 8, -8, 1],
];

/** `M ⊗ M` row-major: entry `[(i·r + k), (j·c + l)] = M[i][j]·M[k][l]`, so one product applies M to both axes of a tile. */
function kron(m: number[][]): Float32Array {
  const r = m.length;
  const c = m[0].length;
  const out = new Float32Array(r * r * c * c);
  for (let i = 0; i < r; i++)
    for (let k = 0; k < r; k++)
      for (let j = 0; j < c; j++)
        for (let l = 0; l < c; l++) {
          out[(i * r + k) * c * c + j * c + l] = m[i][j] * m[k][l];
        }
  return out;
}
/** `m` `[r, c]` row-major, transposed to `[c, r]`. */
function transposed(m: Float32Array, r: number, c: number): Float32Array {
  const out = new Float32Array(r * c);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[j * r + i] = m[i * c + j];
  return out;
}
const KBT = transposed(kron(BT), 36, 36); // (B ⊗ B)ᵀ [36, 36]
const KG = kron(G); // [36, 9]
const KAT = transposed(kron(AT), 16, 36); // (A ⊗ A)ᵀ [36, 16]

/** When the Winograd path is taken: both channel counts and the tile count at least these. */
export const WINOGRAD_MIN_CHANNELS = 160;
export const WINOGRAD_MIN_TILES = 144;
let enabled = true;

/** Turns the Winograd path on or off (on by default); returns the previous setting. */
export function setWasmWinograd(on: boolean): boolean {
  const was = enabled;
  enabled = on;
  return was;
}
/** Floats of one 36-position stack of a chunk of tiles (tiles are processed in chunks so the stacks stay near 32 MB). */
const CHUNK_FLOATS = 8 * 2 ** 20;

interface ConvAttrs {
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat: 'NHWC' | 'NCHW';
  dilations: [number, number] | number;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/** The convolution's geometry when the Winograd path applies to it, else null. */
export function winogradPlan(xShape: number[], filterShape: number[], attrs: ConvAttrs): tf.backend_util.Conv2DInfo | null {
  if (!enabled || attrs.dataFormat === 'NCHW' || xShape.length !== 4 || filterShape[0] !== 3 || filterShape[1] !== 3) return null;
  if (filterShape[2] < WINOGRAD_MIN_CHANNELS || filterShape[3] < WINOGRAD_MIN_CHANNELS) return null;
  const info = tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides,
    attrs.dilations,
    attrs.pad,
    attrs.dimRoundingMode,
  );
  if (info.strideHeight !== 1 || info.strideWidth !== 1 || info.dilationHeight !== 1 || info.dilationWidth !== 1) return null;
  const tiles = info.batchSize * Math.ceil(info.outHeight / 4) * Math.ceil(info.outWidth / 4);
  return tiles >= WINOGRAD_MIN_TILES ? info : null;
}

/**
 * The input and output transforms, `(B ⊗ B)ᵀ` and `(A ⊗ A)ᵀ`, made once per backend and kept:
 * as the right-hand operands of the transforms' products, XNNPACK packs them once (it packs the
 * right-hand operand of every product whose tensor it has not seen).
 */
const transforms = new WeakMap<BackendWasm, { kbt: tf.TensorInfo; kat: tf.TensorInfo }>();
function transformsOf(backend: BackendWasm): { kbt: tf.TensorInfo; kat: tf.TensorInfo } {
  let t = transforms.get(backend);
  if (t == null) {
    t = { kbt: constant(backend, [1, 36, 36], KBT), kat: constant(backend, [1, 36, 16], KAT) };
    transforms.set(backend, t);
  }
  return t;
}

/** The same values as `x` seen with another shape (no copy; for kernels that read by dataId). */
const view = (x: tf.TensorInfo, shape: number[]): tf.TensorInfo => ({ ...x, shape });

function transpose(backend: BackendWasm, x: tf.TensorInfo, perm: number[]): tf.TensorInfo {
  return callKernel(tf.Transpose, backend, { x }, { perm });
}

/** A float32 backend tensor of `shape` holding `vals`. */
function constant(backend: BackendWasm, shape: number[], vals: Float32Array): tf.TensorInfo {
  const t = backend.makeOutput(shape, 'float32');
  (backend.typedArrayFromHeap(t) as Float32Array).set(vals);
  return t;
}

function matMul(backend: BackendWasm, a: tf.TensorInfo, b: tf.TensorInfo): tf.TensorInfo {
  return callKernel(tf.BatchMatMul, backend, { a, b }, { transposeA: false, transposeB: false });
}

/** `blocks` consecutive `[1, rows, cols]` tensors cut from `x`, whose values are `blocks·rows·cols` in that order. */
function split(backend: BackendWasm, x: tf.TensorInfo, blocks: number, rows: number, cols: number): tf.TensorInfo[] {
  const view = { ...x, shape: [1, blocks * rows, cols] }; // the same values seen as [1, blocks·rows, cols]
  return Array.from({ length: blocks }, (_, m) => sliceFromHeap(backend, view, [0, m * rows, 0], [1, rows, cols]));
}

/** U = (G ⊗ G) · g: the filter `[3, 3, Cin, Cout]`'s 36 transformed taps, one `[1, Cin, Cout]` matrix each (new tensors). */
function transformFilter(backend: BackendWasm, filter: tf.TensorInfo): tf.TensorInfo[] {
  const [, , cin, cout] = filter.shape;
  const kg = constant(backend, [1, 36, 9], KG);
  const g = callKernel(tf.Reshape, backend, { x: filter }, { shape: [1, 9, cin * cout] });
  const uAll = matMul(backend, kg, g);
  backend.disposeData(kg.dataId);
  backend.disposeData(g.dataId);
  const u = split(backend, uAll, 36, cin, cout);
  backend.disposeData(uAll.dataId);
  return u;
}

/**
 * Transformed filters kept between calls while someone holds them ({@link holdWinogradFilters}):
 * the same filters convolve every frame of a video, and a kept product operand is also packed
 * once by XNNPACK. Keyed by the filter's data (a tensor's values never change under its dataId);
 * an entry goes when its filter's data is freed, the oldest first above `HELD_FILTER_BYTES`,
 * and all when the last holder lets go.
 */
const heldFilters = new Map<object, { backend: BackendWasm; u: tf.TensorInfo[]; bytes: number }>();
let filterHolders = 0;
/** Bytes of transformed filters kept at most (the paper preset's 24 take about 226 MiB). */
const HELD_FILTER_BYTES = 320 * 2 ** 20;

const hasData = (backend: BackendWasm, id: object) => (backend as unknown as { dataIdMap: { has(id: object): boolean } }).dataIdMap.has(id);

function dropHeld(id: object): void {
  const e = heldFilters.get(id);
  if (!e) return;
  for (const t of e.u) if (hasData(e.backend, t.dataId)) e.backend.disposeData(t.dataId);
  heldFilters.delete(id);
}

/** The kept transform of `filter`, or undefined. */
function heldFilter(backend: BackendWasm, filter: tf.TensorInfo): tf.TensorInfo[] | undefined {
  if (filterHolders === 0) return undefined;
  const e = heldFilters.get(filter.dataId);
  if (!e || e.backend !== backend) return undefined;
  // The most recently used last.
  heldFilters.delete(filter.dataId);
  heldFilters.set(filter.dataId, e);
  return e.u;
}

/** Keeps `u`, the transform of `filter`, when someone holds filters; false when it is not kept. */
function holdFilter(backend: BackendWasm, filter: tf.TensorInfo, u: tf.TensorInfo[]): boolean {
  if (filterHolders === 0) return false;
  for (const [id, e] of heldFilters) if (!hasData(e.backend, id as never)) dropHeld(id);
  const bytes = 4 * u.reduce((n, t) => n + tf.util.sizeFromShape(t.shape), 0);
  if (bytes > HELD_FILTER_BYTES) return false;
  let total = bytes;
  for (const e of heldFilters.values()) total += e.bytes;
  for (const id of heldFilters.keys()) {
    if (total <= HELD_FILTER_BYTES) break;
    total -= heldFilters.get(id)!.bytes;
    dropHeld(id);
  }
  heldFilters.set(filter.dataId, { backend, u, bytes });
  return true;
}

/**
 * Keeps the Winograd transforms of the filters convolved from now until the returned release is
 * called (the last release frees them): for the frames of a video, where the same filters run
 * every frame. At most 320 MiB of them; the results are the same with or without.
 */
export function holdWinogradFilters(): () => void {
  filterHolders++;
  let released = false;
  return () => {
    if (released) return;
    released = true;
    filterHolders--;
    if (filterHolders === 0) for (const id of [...heldFilters.keys()]) dropHeld(id);
  };
}

/** The 3×3 stride-1 convolution of `x` with `filter` as planned, into a new `[B, outH, outW, Cout]`. */
export function winogradConv2D(
  backend: BackendWasm,
  x: tf.TensorInfo,
  filter: tf.TensorInfo,
  info: tf.backend_util.Conv2DInfo,
): tf.TensorInfo {
  const [b, h, w, cin] = x.shape;
  const cout = filter.shape[3];
  const { outHeight: oh, outWidth: ow } = info;
  const { top, left } = info.padInfo;
  const th = Math.ceil(oh / 4);
  const tw = Math.ceil(ow / 4);
  const tiles = b * th * tw;
  const chunk = Math.max(1, Math.min(tiles, Math.floor(CHUNK_FLOATS / (36 * Math.max(cin, cout)))));
  const { keep, release } = intermediates(backend);
  const done = (t: tf.TensorInfo) => backend.disposeData(t.dataId);
  const out = backend.makeOutput([b, oh, ow, cout], 'float32');
  try {
    const held = heldFilter(backend, filter);
    const u = held ?? transformFilter(backend, filter);
    if (!held && !holdFilter(backend, filter, u)) u.forEach(keep);
    const { kbt, kat } = transformsOf(backend);
    // Tile t of the batch: its image and the output row and column of its top-left pixel.
    const origin = (t: number) => [Math.floor(t / (th * tw)), 4 * (Math.floor(t / tw) % th), 4 * (t % tw)] as const;
    for (let t0 = 0; t0 < tiles; t0 += chunk) {
      const n = Math.min(chunk, tiles - t0);
      // d: the 6×6 input tiles, tile-major [n, 36, Cin] (zeros outside the padded input).
      const d = backend.makeOutput([n, 36, cin], 'float32');
      const dv = backend.typedArrayFromHeap(d) as Float32Array;
      const xv = backend.typedArrayFromHeap(x) as Float32Array;
      for (let t = 0; t < n; t++) {
        const [bi, r0, c0] = origin(t0 + t);
        for (let i = 0; i < 6; i++) {
          const row = r0 + i - top;
          for (let j = 0; j < 6; j++) {
            const col = c0 + j - left;
            const dst = (t * 36 + i * 6 + j) * cin;
            if (row < 0 || row >= h || col < 0 || col >= w) dv.fill(0, dst, dst + cin);
            else {
              const src = ((bi * h + row) * w + col) * cin;
              dv.set(xv.subarray(src, src + cin), dst);
            }
          }
        }
      }
      // V = (B ⊗ B)·d per tile and channel, as dᵀ·(B ⊗ B)ᵀ over rows (tile, channel): the large
      // operand on the left, which XNNPACK reads as it is (on the right it would be repacked).
      const dt = transpose(backend, d, [0, 2, 1]); // [n, Cin, 36]
      done(d);
      const vt = matMul(backend, view(dt, [1, n * cin, 36]), kbt); // [n·Cin, 36]
      done(dt);
      const v = transpose(backend, view(vt, [n * cin, 36]), [1, 0]); // [36, n·Cin], position-major
      done(vt);
      const vs = split(backend, v, 36, n, cin);
      done(v);
      // The 36 products, stacked position-major [36, n·Cout] for the output transform.
      const m = backend.makeOutput([1, 36, n * cout], 'float32');
      for (let p = 0; p < 36; p++) {
        const mp = matMul(backend, vs[p], u[p]);
        done(vs[p]);
        (backend.typedArrayFromHeap(m) as Float32Array).set(backend.typedArrayFromHeap(mp) as Float32Array, p * n * cout);
        done(mp);
      }
      // Y = (A ⊗ A)·m the same way: mᵀ·(A ⊗ A)ᵀ, then tile-major [n, 16, Cout] for the scatter.
      const mt = transpose(backend, view(m, [36, n * cout]), [1, 0]); // [n·Cout, 36]
      done(m);
      const yt = matMul(backend, view(mt, [1, n * cout, 36]), kat); // [n·Cout, 16]
      done(mt);
      const y = transpose(backend, view(yt, [n, cout, 16]), [0, 2, 1]); // [n, 16, Cout]
      done(yt);
      // Scatter the 4×4 output tiles, cropped to the output's size.
      const yv = backend.typedArrayFromHeap(y) as Float32Array;
      const ov = backend.typedArrayFromHeap(out) as Float32Array;
      for (let t = 0; t < n; t++) {
        const [bi, r0, c0] = origin(t0 + t);
        for (let p = 0; p < 4; p++) {
          const row = r0 + p;
          if (row >= oh) break;
          for (let q = 0; q < 4; q++) {
            const col = c0 + q;
            if (col >= ow) break;
            const src = (t * 16 + p * 4 + q) * cout;
            ov.set(yv.subarray(src, src + cout), ((bi * oh + row) * ow + col) * cout);
          }
        }
      }
      done(y);
    }
    return out;
  } catch (e) {
    done(out);
    throw e;
  } finally {
    release(x, filter);
  }
}

/** The Conv2D kernel: {@link winogradConv2D} where {@link winogradPlan} applies, wasm's own elsewhere. */
export function conv2D(args: KernelArgs): tf.TensorInfo {
  const { x, filter } = args.inputs as { x: tf.TensorInfo; filter: tf.TensorInfo };
  const plan = winogradPlan(x.shape, filter.shape, args.attrs as unknown as ConvAttrs);
  if (plan == null) return callWasmOwn(tf.Conv2D, args) as tf.TensorInfo;
  return winogradConv2D(args.backend as BackendWasm, x, filter, plan);
}
