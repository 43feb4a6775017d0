import * as tf from '@tensorflow/tfjs-core';

/**
 * What the tests of the wasm kernel replacements (`wasm-*.ts`, `spatial-mean.ts`) compare
 * against: the shapes the paper's generator gives those kernels, and references written as
 * index arithmetic (float64, element by element, nothing shared with the kernels' loops).
 * Test support only; not part of the package's entry points.
 * @module
 */

/**
 * The paper's generator (ngf 64, 2 downsamplings, 6 residual blocks, global style on) on a 256²
 * content and a 256² exemplar, as `packages/models/src/model/encoder.ts`, `decoder.ts`,
 * `banded.ts`, `stylize.ts`, `packages/layers/src/*` and `knn.ts` build it. Shapes `[B, H, W, C]`;
 * filters `[kh, kw, in, out]` (`conv2dTranspose`: `[kh, kw, out, in]`).
 */
export const PAPER = {
  ngf: 64,
  /** The maps after the stem, the first and the second downsampling (the residual blocks' maps). */
  maps: [
    [1, 256, 256, 64],
    [1, 128, 128, 128],
    [1, 64, 64, 256],
  ] as [number, number, number, number][],
  /** The latent map (1×1 convolution after the residual blocks): content 256 | global style 256 | local style 256. */
  latent: [1, 64, 64, 768] as [number, number, number, number],
  /** Widths of the content and style codes (the k-NN's query and pool rows). */
  content: 256,
  style: 512,
  /** Pixels of one code map: the k-NN's queries, and its pool per exemplar. */
  codePixels: 64 * 64,
  /** A residual block's convolution: reflection pad 1, then 3×3 stride 1 'valid' (Winograd's case). */
  residualConv: { x: [1, 66, 66, 256] as [number, number, number, number], filter: [3, 3, 256, 256] as [number, number, number, number] },
  /** The downsampling convolutions, 3×3 stride 2 'same' (or zero pad 1 and 'valid': the authors'). */
  downsampling: [
    { x: [1, 256, 256, 64] as [number, number, number, number], filter: [3, 3, 64, 128] as [number, number, number, number] },
    { x: [1, 128, 128, 128] as [number, number, number, number], filter: [3, 3, 128, 256] as [number, number, number, number] },
  ],
  /** The global-style branch: three times zero pad 1, 3×3 stride 2 'valid', instance norm: maps 32², 16², 8². */
  globalStyleMaps: [
    [1, 32, 32, 256],
    [1, 16, 16, 256],
    [1, 8, 8, 256],
  ] as [number, number, number, number][],
  /** The decoder's transposed convolutions, 4×4 stride 2 'same': 256 → 128 channels, then 128 → 64. */
  upsampling: [
    {
      dy: [1, 64, 64, 256] as [number, number, number, number],
      filter: [4, 4, 128, 256] as [number, number, number, number],
      out: [1, 128, 128, 128] as [number, number, number, number],
    },
    {
      dy: [1, 128, 128, 128] as [number, number, number, number],
      filter: [4, 4, 64, 128] as [number, number, number, number],
      out: [1, 256, 256, 64] as [number, number, number, number],
    },
  ],
} as const;

/** Row-major strides of `shape`. */
function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let m = 1;
  for (let a = shape.length - 1; a >= 0; a--) {
    s[a] = m;
    m *= shape[a];
  }
  return s;
}

/** `x[begin : begin + size]` of a row-major array of `shape`: each value's source index from its own index. */
export function sliceReference(
  vals: ArrayLike<number>,
  shape: readonly number[],
  begin: readonly number[],
  size: readonly number[],
): Float64Array {
  const total = size.reduce((a, b) => a * b, 1);
  const out = new Float64Array(total);
  const strides = stridesOf(shape);
  const sizeStrides = stridesOf(size);
  for (let i = 0; i < total; i++) {
    let src = 0;
    for (let a = 0; a < size.length; a++) src += (begin[a] + (Math.floor(i / sizeStrides[a]) % size[a])) * strides[a];
    out[i] = vals[src];
  }
  return out;
}

/** The first index where `a` and `b` differ (as numbers), or −1; a length mismatch counts at the shorter length. */
export function firstMismatch(a: ArrayLike<number | boolean>, b: ArrayLike<number | boolean>): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (Number(a[i]) !== Number(b[i])) return i;
  return a.length === b.length ? -1 : n;
}

/** `[0, 1, …, n − 1]` as float32 (exact below 2²⁴): every value names its index. */
export function iota(n: number): Float32Array {
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = i;
  return v;
}

/** Deterministic values in [−1, 1) (a 32-bit LCG), so that tensors can be made alike on two backends. */
export function seededValues(n: number, seed: number): Float32Array {
  const v = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    v[i] = s / 2 ** 31 - 1;
  }
  return v;
}

/** Indices of an axis of length n worth checking: both ends, the middle, and every residue mod 4 there. */
export function probeIndices(n: number): number[] {
  const mid = n >> 1;
  const picks = [0, 1, 2, 3, 4, 5, 6, 7, mid - 2, mid - 1, mid, mid + 1, n - 5, n - 4, n - 3, n - 2, n - 1];
  return [...new Set(picks.filter((i) => i >= 0 && i < n))].sort((a, b) => a - b);
}

/** A convolution's geometry: strides and the padding before the first row and column. */
export interface ConvGeometry {
  strides: [number, number];
  top: number;
  left: number;
  outHeight: number;
  outWidth: number;
}

/** The geometry tfjs gives `conv2d(x [B, H, W, Ci], filter [kh, kw, Ci, Co], strides, pad)`. */
export function convGeometry(
  xShape: readonly number[],
  filterShape: readonly number[],
  strides: number,
  pad: 'same' | 'valid' | number | tf.backend_util.ExplicitPadding,
): ConvGeometry {
  const info = tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    strides,
    1,
    pad,
  );
  return {
    strides: [info.strideHeight, info.strideWidth],
    top: info.padInfo.top,
    left: info.padInfo.left,
    outHeight: info.outHeight,
    outWidth: info.outWidth,
  };
}

/** A value of a reference and the sum of the absolute values of its terms (what float32 rounding scales with). */
export interface RefValue {
  value: number;
  absSum: number;
}

/**
 * `y[b, oh, ow, co] = Σ x[b, oh·sh − top + ky, ow·sw − left + kx, ci] · w[ky, kx, ci, co]` (zeros
 * outside x) for every co, in float64.
 */
export function conv2dAt(
  x: ArrayLike<number>,
  xShape: readonly number[],
  w: ArrayLike<number>,
  wShape: readonly number[],
  g: ConvGeometry,
  b: number,
  oh: number,
  ow: number,
): RefValue[] {
  const [, h, wd, ci] = xShape;
  const [kh, kw, , co] = wShape;
  const out = Array.from({ length: co }, () => ({ value: 0, absSum: 0 }));
  for (let ky = 0; ky < kh; ky++) {
    const ih = oh * g.strides[0] - g.top + ky;
    if (ih < 0 || ih >= h) continue;
    for (let kx = 0; kx < kw; kx++) {
      const iw = ow * g.strides[1] - g.left + kx;
      if (iw < 0 || iw >= wd) continue;
      for (let c = 0; c < ci; c++) {
        const xv = x[((b * h + ih) * wd + iw) * ci + c];
        const wBase = ((ky * kw + kx) * ci + c) * co;
        for (let o = 0; o < co; o++) {
          const t = xv * w[wBase + o];
          out[o].value += t;
          out[o].absSum += Math.abs(t);
        }
      }
    }
  }
  return out;
}

/**
 * The input gradient of that convolution (`conv2dTranspose`'s forward pass):
 * `dx[b, ih, iw, ci] = Σ dy[b, oh, ow, co] · w[ky, kx, ci, co]` over `oh·sh − top + ky = ih`,
 * `ow·sw − left + kx = iw`, for every ci, in float64. `dyShape` is `[B, OH, OW, Co]`.
 */
export function conv2dTransposeAt(
  dy: ArrayLike<number>,
  dyShape: readonly number[],
  w: ArrayLike<number>,
  wShape: readonly number[],
  g: ConvGeometry,
  b: number,
  ih: number,
  iw: number,
): RefValue[] {
  const [, oh, ow, co] = dyShape;
  const [kh, kw, ci] = wShape;
  const out = Array.from({ length: ci }, () => ({ value: 0, absSum: 0 }));
  for (let ky = 0; ky < kh; ky++) {
    const num = ih + g.top - ky;
    if (num < 0 || num % g.strides[0] !== 0 || num / g.strides[0] >= oh) continue;
    const r = num / g.strides[0];
    for (let kx = 0; kx < kw; kx++) {
      const numW = iw + g.left - kx;
      if (numW < 0 || numW % g.strides[1] !== 0 || numW / g.strides[1] >= ow) continue;
      const c0 = numW / g.strides[1];
      const dyBase = ((b * oh + r) * ow + c0) * co;
      for (let c = 0; c < ci; c++) {
        const wBase = ((ky * kw + kx) * ci + c) * co;
        let v = 0;
        let s = 0;
        for (let o = 0; o < co; o++) {
          const t = dy[dyBase + o] * w[wBase + o];
          v += t;
          s += Math.abs(t);
        }
        out[c].value += v;
        out[c].absSum += s;
      }
    }
  }
  return out;
}

/**
 * The filter gradient of that convolution:
 * `dw[ky, kx, ci, co] = Σ_{b, oh, ow} x[b, oh·sh − top + ky, ow·sw − left + kx, ci] · dy[b, oh, ow, co]`, in float64.
 */
export function filterGradAt(
  x: ArrayLike<number>,
  xShape: readonly number[],
  dy: ArrayLike<number>,
  dyShape: readonly number[],
  g: ConvGeometry,
  ky: number,
  kx: number,
  ci: number,
  co: number,
): RefValue {
  const [bs, h, wd, cin] = xShape;
  const [, oh, ow, cout] = dyShape;
  let value = 0;
  let absSum = 0;
  for (let b = 0; b < bs; b++) {
    for (let r = 0; r < oh; r++) {
      const ih = r * g.strides[0] - g.top + ky;
      if (ih < 0 || ih >= h) continue;
      for (let c = 0; c < ow; c++) {
        const iw = c * g.strides[1] - g.left + kx;
        if (iw < 0 || iw >= wd) continue;
        const t = x[((b * h + ih) * wd + iw) * cin + ci] * dy[((b * oh + r) * ow + c) * cout + co];
        value += t;
        absSum += Math.abs(t);
      }
    }
  }
  return { value, absSum };
}

/** float32's unit roundoff, 2⁻²⁴. */
export const U32 = 2 ** -24;

/**
 * The largest `|got − ref| / (u · Σ|terms|)` over the references given: how many unit roundoffs
 * of its terms' magnitude each value is off. A float32 sum of n terms is within about n·u·Σ|terms|
 * (√n·u typically); an index error is off by about a term, ~Σ|terms|/√n, 10⁴ times more here.
 */
export function roundoffs(got: (i: number) => number, refs: { at: number; ref: RefValue }[]): { worst: number; at: number } {
  let worst = 0;
  let at = -1;
  for (const { at: i, ref } of refs) {
    const d = Math.abs(got(i) - ref.value);
    // No terms (a value no input reaches): it must be exactly 0.
    const r = ref.absSum === 0 ? (d === 0 ? 0 : Infinity) : d / (U32 * ref.absSum);
    if (!(r <= worst)) {
      worst = Number.isNaN(r) ? Infinity : r;
      at = i;
    }
  }
  return { worst, at };
}
