import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { callKernel, callWasmOwn, intermediates, type KernelArgs } from './wasm-kernel-call.js';
import { sliceFromHeap } from './wasm-slice.js';
import { tileTransforms } from './wasm-winograd-simd.js';
import { winogradMatrices } from './generated/simd-kernels.js';
import { tilingOf } from './wasm-winograd-tiling.js';

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

/** Bᵀ, G and Aᵀ of F(4×4, 3×3), interpolation points 0, ±1, ±2 and ∞ (one copy: the SIMD kernels' generator's). */
const { BT, G, AT } = winogradMatrices;

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
const KA = kron(AT); // A ⊗ A [16, 36]: the output transform's adjoint, for the gradients
const KB = kron(BT); // B ⊗ B [36, 36]: the input transform's adjoint, for the input gradient
const KGT = transposed(KG, 36, 9); // (G ⊗ G)ᵀ [9, 36]: the filter transform's adjoint

/** When the Winograd path is taken: both channel counts and the tile count at least these. */
export const WINOGRAD_MIN_CHANNELS = 160;
export const WINOGRAD_MIN_TILES = 144;
/**
 * The tile count from which the convolution takes the path while filters are held
 * ({@link holdWinogradFilters}): a held transform is made once for several calls, and without its
 * cost F(4×4, 3×3) is faster on smaller maps (a 32² map of 256 channels, batch 2, 128 tiles:
 * 25.9 ms held against 43.2 ms direct). Below about 96 tiles a filter needs four or more calls
 * between two updates to repay its transform, more than a training step makes.
 */
export const WINOGRAD_MIN_TILES_HELD = 96;
let enabled = true;

/** Turns the Winograd path on or off (on by default); returns the previous setting. */
export function setWasmWinograd(on: boolean): boolean {
  const was = enabled;
  enabled = on;
  return was;
}

interface ConvAttrs {
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat: 'NHWC' | 'NCHW';
  dilations: [number, number] | number;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/**
 * The convolution's geometry when the Winograd path applies to it, else null.
 * @param minTiles the fewest tiles (over the batch) worth it: {@link WINOGRAD_MIN_TILES} by
 *   default; {@link convolutionMinTiles} for the convolution itself.
 */
export function winogradPlan(
  xShape: number[],
  filterShape: number[],
  attrs: ConvAttrs,
  minTiles = WINOGRAD_MIN_TILES,
): tf.backend_util.Conv2DInfo | null {
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
  return tilingOf(info).tiles >= minTiles ? info : null;
}

/** The transforms as backend tensors (see {@link transformsOf}). */
interface Transforms {
  /** `(B ⊗ B)ᵀ` `[1, 36, 36]`: the input transform, applied on the right. */
  kbt: tf.TensorInfo;
  /** `(A ⊗ A)ᵀ` `[1, 36, 16]`: the output transform, applied on the right. */
  kat: tf.TensorInfo;
  /** `A ⊗ A` `[1, 16, 36]`: the output transform's adjoint (the gradients' `dy` tiles), applied on the right. */
  ka: tf.TensorInfo;
  /** `B ⊗ B` `[1, 36, 36]`: the input transform's adjoint (the input gradient's tiles), applied on the right. */
  kb: tf.TensorInfo;
  /** `(G ⊗ G)ᵀ` `[1, 9, 36]`: the filter transform's adjoint, applied on the left. */
  kgt: tf.TensorInfo;
}

/**
 * The transforms, made once per backend and kept: as the right-hand operands of the transforms'
 * products, XNNPACK packs them once (it packs the right-hand operand of every product whose
 * tensor it has not seen).
 */
const transforms = new WeakMap<BackendWasm, Transforms>();
export function transformsOf(backend: BackendWasm): Transforms {
  let t = transforms.get(backend);
  if (t == null) {
    t = {
      kbt: constant(backend, [1, 36, 36], KBT),
      kat: constant(backend, [1, 36, 16], KAT),
      ka: constant(backend, [1, 16, 36], KA),
      kb: constant(backend, [1, 36, 36], KB),
      kgt: constant(backend, [1, 9, 36], KGT),
    };
    transforms.set(backend, t);
  }
  return t;
}

/** The same values as `x` seen with another shape (no copy; for kernels that read by dataId). */
export const view = (x: tf.TensorInfo, shape: number[]): tf.TensorInfo => ({ ...x, shape });

export function transpose(backend: BackendWasm, x: tf.TensorInfo, perm: number[]): tf.TensorInfo {
  return callKernel(tf.Transpose, backend, { x }, { perm });
}

/** A float32 backend tensor of `shape` holding `vals`. */
function constant(backend: BackendWasm, shape: number[], vals: Float32Array): tf.TensorInfo {
  const t = backend.makeOutput(shape, 'float32');
  (backend.typedArrayFromHeap(t) as Float32Array).set(vals);
  return t;
}

export function matMul(backend: BackendWasm, a: tf.TensorInfo, b: tf.TensorInfo): tf.TensorInfo {
  return callKernel(tf.BatchMatMul, backend, { a, b }, { transposeA: false, transposeB: false });
}

/** `blocks` consecutive `[1, rows, cols]` tensors cut from `x`, whose values are `blocks·rows·cols` in that order. */
export function split(backend: BackendWasm, x: tf.TensorInfo, blocks: number, rows: number, cols: number): tf.TensorInfo[] {
  const view = { ...x, shape: [1, blocks * rows, cols] }; // the same values seen as [1, blocks·rows, cols]
  return Array.from({ length: blocks }, (_, m) => sliceFromHeap(backend, view, [0, m * rows, 0], [1, rows, cols]));
}

/** U = (G ⊗ G) · g: the filter `[3, 3, Cin, Cout]`'s 36 transformed taps, one `[1, Cin, Cout]` matrix each (new tensors). */
function transformFilter(backend: BackendWasm, filter: tf.TensorInfo): tf.TensorInfo[] {
  const [, , cin, cout] = filter.shape;
  const simd = tileTransforms(backend, cin, cout);
  if (simd) return simd.filter(filter);
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
 * Which transform of a filter `[3, 3, Cin, Cout]`: `forward`, U's 36 `[1, Cin, Cout]` matrices (the
 * convolution); `adjoint`, their transposes `[1, Cout, Cin]` (the input gradient).
 */
export type FilterTransform = 'forward' | 'adjoint';

/** The transform of `filter`, new (its channels swapped first for the adjoint). */
function makeTransform(backend: BackendWasm, filter: tf.TensorInfo, kind: FilterTransform): tf.TensorInfo[] {
  if (kind === 'forward') return transformFilter(backend, filter);
  const swapped = callKernel(tf.Transpose, backend, { x: filter }, { perm: [0, 1, 3, 2] });
  try {
    return transformFilter(backend, swapped);
  } finally {
    backend.disposeData(swapped.dataId);
  }
}

/**
 * Transformed filters kept between calls while someone holds them ({@link holdWinogradFilters}):
 * the same filters convolve every frame of a video, and a kept product operand is also packed
 * once by XNNPACK. Keyed by the filter's data (a tensor's values never change under its dataId),
 * each entry with the transforms made of it so far; an entry goes when its filter's data is
 * freed, the oldest first above the smallest cap of those holding (`HELD_FILTER_BYTES` by
 * default), and all when the last holder lets go.
 */
interface HeldEntry {
  backend: BackendWasm;
  transforms: Partial<Record<FilterTransform, tf.TensorInfo[]>>;
  bytes: number;
}
const heldFilters = new Map<object, HeldEntry>();
/** Each holder's cap on the bytes kept, while it holds. */
const holders = new Set<{ maxBytes: number }>();
/** Bytes of transformed filters kept at most by default (the paper preset's 24 forward transforms take about 226 MiB). */
const HELD_FILTER_BYTES = 320 * 2 ** 20;
/** The bytes that may be kept now: the smallest cap of those holding. */
const heldCap = () => Math.min(...[...holders].map((h) => h.maxBytes));

/** The fewest tiles for the convolution: fewer while transforms are kept ({@link WINOGRAD_MIN_TILES_HELD}). */
export function convolutionMinTiles(): number {
  return holders.size > 0 && heldCap() > 0 ? WINOGRAD_MIN_TILES_HELD : WINOGRAD_MIN_TILES;
}

const hasData = (backend: BackendWasm, id: object) => (backend as unknown as { dataIdMap: { has(id: object): boolean } }).dataIdMap.has(id);

function dropHeld(id: object): void {
  const e = heldFilters.get(id);
  if (!e) return;
  for (const ts of Object.values(e.transforms)) for (const t of ts) if (hasData(e.backend, t.dataId)) e.backend.disposeData(t.dataId);
  heldFilters.delete(id);
}

/** Drops the oldest entries until at most `cap` bytes are kept, `extra` more counted. */
function dropDownTo(cap: number, extra = 0): void {
  let total = extra;
  for (const e of heldFilters.values()) total += e.bytes;
  for (const id of [...heldFilters.keys()]) {
    if (total <= cap) break;
    total -= heldFilters.get(id)!.bytes;
    dropHeld(id);
  }
}

/**
 * The `kind` transform of `filter`: the kept one, or a new one, kept when someone holds filters
 * and it fits, else handed to `keep` (the caller's intermediates, freed when it is done).
 */
export function filterTransform(
  backend: BackendWasm,
  filter: tf.TensorInfo,
  kind: FilterTransform,
  keep: (t: tf.TensorInfo) => tf.TensorInfo,
): tf.TensorInfo[] {
  if (holders.size === 0) return makeTransform(backend, filter, kind).map(keep);
  let e = heldFilters.get(filter.dataId);
  if (e && e.backend !== backend) e = undefined;
  if (e) {
    // The most recently used last.
    heldFilters.delete(filter.dataId);
    heldFilters.set(filter.dataId, e);
    const held = e.transforms[kind];
    if (held) return held;
  }
  const made = makeTransform(backend, filter, kind);
  for (const [id, entry] of heldFilters) if (!hasData(entry.backend, id as never)) dropHeld(id);
  const bytes = 4 * made.reduce((n, t) => n + tf.util.sizeFromShape(t.shape), 0);
  const cap = heldCap();
  if (bytes + (e?.bytes ?? 0) > cap) return made.map(keep);
  // Make room without dropping this filter's own entry.
  if (e) heldFilters.delete(filter.dataId);
  dropDownTo(cap - (e?.bytes ?? 0), bytes);
  const entry = e ?? { backend, transforms: {}, bytes: 0 };
  entry.transforms[kind] = made;
  entry.bytes += bytes;
  heldFilters.set(filter.dataId, entry);
  return made;
}

/**
 * Keeps the Winograd transforms of the filters convolved from now until the returned release is
 * called (the last release frees them): for the frames of a video, where the same filters run
 * every frame, and for a training step, where each filter runs several times between two
 * optimizer updates (an update gives the variable new data, so its old transform goes).
 * The results are the same with or without.
 * While held, convolutions of fewer tiles take the Winograd path (from 96 tiles over the batch instead of 144).
 * @param opts.maxBytes the bytes of transforms kept at most while this holder holds (320 MiB by
 *   default; with several holders, the smallest cap). XNNPACK keeps a packed copy of each beside
 *   it, so the heap holds about twice this.
 */
export function holdWinogradFilters(opts: { maxBytes?: number } = {}): () => void {
  const holder = { maxBytes: Math.max(0, opts.maxBytes ?? HELD_FILTER_BYTES) };
  holders.add(holder);
  // A smaller cap than those kept so far: drop the oldest down to it.
  dropDownTo(holder.maxBytes);
  let released = false;
  return () => {
    if (released) return;
    released = true;
    holders.delete(holder);
    if (holders.size === 0) for (const id of [...heldFilters.keys()]) dropHeld(id);
  };
}

/**
 * V = (B ⊗ B)·d for tiles `t0 … t0 + n − 1` of the planned convolution's input `x`: each tile's
 * 6×6 input (zeros outside the image) transformed, as a new `[1, n·Cin, 36]` (tile, channel,
 * position). Computed as dᵀ·(B ⊗ B)ᵀ over rows (tile, channel): the large operand on the left,
 * which XNNPACK reads as it is (on the right it would be repacked).
 */
export function inputTransform(
  backend: BackendWasm,
  x: tf.TensorInfo,
  info: tf.backend_util.Conv2DInfo,
  t0: number,
  n: number,
): tf.TensorInfo {
  const [, h, w, cin] = x.shape;
  const { top, left } = info.padInfo;
  const { origin } = tilingOf(info);
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
  const dt = transpose(backend, d, [0, 2, 1]); // [n, Cin, 36]
  backend.disposeData(d.dataId);
  const vt = matMul(backend, view(dt, [1, n * cin, 36]), transformsOf(backend).kbt);
  backend.disposeData(dt.dataId);
  return vt;
}

/**
 * `A dy Aᵀ` for tiles `t0 … t0 + n − 1`: each tile's 4×4 of `dy` `[B, outH, outW, Cout]` (zeros past
 * the output's edge) through the output transform's adjoint, as 36 new `[1, n, Cout]`, one per
 * position (the gradients of the 36 products of {@link winogradConv2D}).
 */
export function outputGradientTransform(
  backend: BackendWasm,
  dy: tf.TensorInfo,
  info: tf.backend_util.Conv2DInfo,
  t0: number,
  n: number,
): tf.TensorInfo[] {
  const cout = dy.shape[3];
  const { outHeight: oh, outWidth: ow } = info;
  const { origin } = tilingOf(info);
  // The 4×4 tiles of dy, tile-major [n, 16, Cout].
  const e = backend.makeOutput([n, 16, cout], 'float32');
  const ev = backend.typedArrayFromHeap(e) as Float32Array;
  const dyv = backend.typedArrayFromHeap(dy) as Float32Array;
  for (let t = 0; t < n; t++) {
    const [bi, r0, c0] = origin(t0 + t);
    for (let p = 0; p < 4; p++) {
      const row = r0 + p;
      for (let q = 0; q < 4; q++) {
        const col = c0 + q;
        const dst = (t * 16 + p * 4 + q) * cout;
        if (row >= oh || col >= ow) ev.fill(0, dst, dst + cout);
        else {
          const src = ((bi * oh + row) * ow + col) * cout;
          ev.set(dyv.subarray(src, src + cout), dst);
        }
      }
    }
  }
  // dyᵀ·(A ⊗ A) over rows (tile, channel), then position-major [36, n, Cout].
  const et = transpose(backend, e, [0, 2, 1]); // [n, Cout, 16]
  backend.disposeData(e.dataId);
  const mt = matMul(backend, view(et, [1, n * cout, 16]), transformsOf(backend).ka); // [n·Cout, 36]
  backend.disposeData(et.dataId);
  const mp = transpose(backend, view(mt, [n, cout, 36]), [2, 0, 1]); // [36, n, Cout]
  backend.disposeData(mt.dataId);
  const ms = split(backend, mp, 36, n, cout);
  backend.disposeData(mp.dataId);
  return ms;
}

/**
 * The 36 products of a chunk of `n` tiles (`product(p)`: a new `[1, n, C]` each, freed once copied)
 * stacked position-major and carried through a transform over the positions, `[1, 36, k]` on the
 * right (the large operand on the left, as XNNPACK reads it): tile-major, a new `[n, k, C]`. The
 * convolution's output transform gives `[n, 16, Cout]`, its input gradient's `[n, 36, Cin]`.
 */
export function productsToTiles(
  backend: BackendWasm,
  n: number,
  c: number,
  transform: tf.TensorInfo,
  product: (p: number) => tf.TensorInfo,
): tf.TensorInfo {
  const k = transform.shape[2];
  const done = (t: tf.TensorInfo) => backend.disposeData(t.dataId);
  const stack = backend.makeOutput([1, 36, n * c], 'float32');
  try {
    for (let p = 0; p < 36; p++) {
      const prod = product(p);
      (backend.typedArrayFromHeap(stack) as Float32Array).set(backend.typedArrayFromHeap(prod) as Float32Array, p * n * c);
      done(prod);
    }
  } catch (e) {
    done(stack);
    throw e;
  }
  const st = transpose(backend, view(stack, [36, n * c]), [1, 0]); // [n·C, 36]
  done(stack);
  const yt = matMul(backend, view(st, [1, n * c, 36]), transform); // [n·C, k]
  done(st);
  const y = transpose(backend, view(yt, [n, c, k]), [0, 2, 1]); // [n, k, C]
  done(yt);
  return y;
}

/** The 3×3 stride-1 convolution of `x` with `filter` as planned, into a new `[B, outH, outW, Cout]`. */
export function winogradConv2D(
  backend: BackendWasm,
  x: tf.TensorInfo,
  filter: tf.TensorInfo,
  info: tf.backend_util.Conv2DInfo,
): tf.TensorInfo {
  const [b, , , cin] = x.shape;
  const cout = filter.shape[3];
  const { outHeight: oh, outWidth: ow } = info;
  const { tiles, chunk, origin } = tilingOf(info);
  const { keep, release } = intermediates(backend);
  const done = (t: tf.TensorInfo) => backend.disposeData(t.dataId);
  const out = backend.makeOutput([b, oh, ow, cout], 'float32');
  try {
    const u = filterTransform(backend, filter, 'forward', keep);
    const simd = tileTransforms(backend, cin, cout);
    const { kat } = transformsOf(backend);
    for (let t0 = 0; t0 < tiles; t0 += chunk) {
      const n = Math.min(chunk, tiles - t0);
      if (simd) {
        // Each tile's input straight into the 36 operands, each product straight into the output.
        const vs = simd.input(x, info, t0, n);
        const ms: tf.TensorInfo[] = [];
        try {
          for (let p = 0; p < 36; p++) {
            ms.push(matMul(backend, vs[p], u[p]));
            done(vs[p]);
          }
          simd.output(ms, info, t0, n, out);
        } finally {
          // Those freed already are passed over (wasm's disposeData is a no-op for them).
          for (const t of [...vs, ...ms]) done(t);
        }
        continue;
      }
      const vt = inputTransform(backend, x, info, t0, n); // [n·Cin, 36]
      const v = transpose(backend, view(vt, [n * cin, 36]), [1, 0]); // [36, n·Cin], position-major
      done(vt);
      const vs = split(backend, v, 36, n, cin);
      done(v);
      // Y = (A ⊗ A)·m over the 36 products m, tile-major [n, 16, Cout] for the scatter.
      const y = productsToTiles(backend, n, cout, kat, (p) => {
        const mp = matMul(backend, vs[p], u[p]);
        done(vs[p]);
        return mp;
      });
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
  const plan = winogradPlan(x.shape, filter.shape, args.attrs as unknown as ConvAttrs, convolutionMinTiles());
  if (plan == null) return callWasmOwn(tf.Conv2D, args) as tf.TensorInfo;
  return winogradConv2D(args.backend as BackendWasm, x, filter, plan);
}
