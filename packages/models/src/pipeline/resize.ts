/**
 * Pillow's bicubic resize of 8-bit images, bit for bit, and torchvision's `Resize(S)` size rule.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { ValueError } from '@tpfr/core';
import { formatShape } from '@tpfr/core/utils';
import { checkImage, checkInt, sidesOf } from './checks.js';

/** Pillow's fixed-point precision for 8-bit images: `32 − 8 − 2` bits. */
const PRECISION_BITS = 32 - 8 - 2;
const ONE = 2 ** PRECISION_BITS;
const HALF = 2 ** (PRECISION_BITS - 1);

/** Pillow's bicubic kernel (Keys, a = −0.5), with its evaluation order. */
function bicubic(x: number): number {
  const a = -0.5;
  if (x < 0) x = -x;
  if (x < 1) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
  if (x < 2) return (((x - 5) * x + 8) * x - 4) * a;
  return 0;
}

/** Coefficients of one resampling pass, as Pillow's `precompute_coeffs` + `normalize_coeffs_8bpc`. */
interface Coeffs {
  /** Coefficients per output sample. */
  ksize: number;
  /** `[first input index, count]` per output sample. */
  bounds: Int32Array;
  /** Fixed-point coefficients, `ksize` per output sample. */
  kk: Int32Array;
}

function precomputeCoeffs(inSize: number, outSize: number): Coeffs {
  // Pillow: box (0, inSize) as C floats; exact for any image side.
  const scale = inSize / outSize;
  const filterscale = Math.max(scale, 1);
  const support = 2.0 * filterscale;
  const ksize = Math.ceil(support) * 2 + 1;
  const bounds = new Int32Array(outSize * 2);
  const kk = new Int32Array(outSize * ksize);
  const k = new Float64Array(ksize);
  const ss = 1.0 / filterscale;
  for (let xx = 0; xx < outSize; xx++) {
    const center = 0 + (xx + 0.5) * scale;
    let ww = 0.0;
    let xmin = Math.trunc(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    let xmax = Math.trunc(center + support + 0.5);
    if (xmax > inSize) xmax = inSize;
    xmax -= xmin;
    for (let x = 0; x < xmax; x++) {
      const w = bicubic((x + xmin - center + 0.5) * ss);
      k[x] = w;
      ww += w;
    }
    for (let x = 0; x < xmax; x++) {
      if (ww !== 0.0) k[x] /= ww;
      // normalize_coeffs_8bpc: round half away from zero to PRECISION_BITS.
      kk[xx * ksize + x] = k[x] < 0 ? Math.trunc(-0.5 + k[x] * ONE) : Math.trunc(0.5 + k[x] * ONE);
    }
    bounds[xx * 2] = xmin;
    bounds[xx * 2 + 1] = xmax;
  }
  return { ksize, bounds, kk };
}

/** Pillow's `clip8`: arithmetic shift by PRECISION_BITS, clamped to 0–255. */
function clip8(v: number): number {
  const s = Math.floor(v / ONE);
  return s < 0 ? 0 : Math.min(s, 255);
}

/**
 * Pillow's `ImagingResampleInner` for an 8-bit `h × w × c` image (interleaved channels) to
 * `outH × outW`: horizontal pass first over only the input rows the vertical pass needs, then the
 * vertical pass; each pass rounds and clips to 8 bits. Equal sizes copy.
 */
export function resampleBicubicU8(src: ArrayLike<number>, h: number, w: number, c: number, outH: number, outW: number): Uint8Array {
  const needH = outW !== w;
  const needV = outH !== h;
  const vert = precomputeCoeffs(h, outH);
  const yFirst = vert.bounds[0];
  const yLast = vert.bounds[outH * 2 - 2] + vert.bounds[outH * 2 - 1];
  let img: ArrayLike<number> = src;
  let imgW = w;
  let rowOffset = 0;
  if (needH) {
    const hor = precomputeCoeffs(w, outW);
    const rows = yLast - yFirst;
    const tmp = new Uint8Array(rows * outW * c);
    const { ksize, bounds, kk } = hor;
    for (let yy = 0; yy < rows; yy++) {
      const rowIn = (yy + yFirst) * w * c;
      const rowOut = yy * outW * c;
      for (let xx = 0; xx < outW; xx++) {
        const xmin = bounds[xx * 2];
        const xmax = bounds[xx * 2 + 1];
        const kOff = xx * ksize;
        for (let ch = 0; ch < c; ch++) {
          let s = HALF;
          for (let x = 0; x < xmax; x++) s += src[rowIn + (x + xmin) * c + ch] * kk[kOff + x];
          tmp[rowOut + xx * c + ch] = clip8(s);
        }
      }
    }
    img = tmp;
    imgW = outW;
    // The vertical bounds now index the rows of the temporary image.
    rowOffset = yFirst;
  }
  if (!needV) {
    if (img === src) return Uint8Array.from(src);
    return img as Uint8Array;
  }
  const out = new Uint8Array(outH * imgW * c);
  const { ksize, bounds, kk } = vert;
  const stride = imgW * c;
  for (let yy = 0; yy < outH; yy++) {
    const ymin = bounds[yy * 2] - rowOffset;
    const ymax = bounds[yy * 2 + 1];
    const kOff = yy * ksize;
    const rowOut = yy * stride;
    for (let i = 0; i < stride; i++) {
      let s = HALF;
      for (let y = 0; y < ymax; y++) s += img[(y + ymin) * stride + i] * kk[kOff + y];
      out[rowOut + i] = clip8(s);
    }
  }
  return out;
}

/**
 * Resizes 8-bit RGB images exactly as Pillow's `Image.resize((width, height), Image.BICUBIC)`
 * (Pillow ≥ 7, `ImagingResample`): separable bicubic (a = −0.5) whose support widens with the
 * downscale factor (antialiasing), coefficients normalized per output pixel and quantized to
 * 22-bit fixed point, horizontal pass first, each pass rounded and clipped to 0–255. Runs on the
 * host (JS typed arrays), whatever the backend.
 *
 * @param image `[H, W, 3]` or `[B, H, W, 3]`, int32 or float, integer values in 0–255 (an 8-bit
 *   image, e.g. from `readImage`).
 * @param size `[height, width]` of the result (note: Pillow's `size` is `(width, height)`).
 * @returns int32 `[height, width, 3]` or `[B, height, width, 3]`, values in 0–255; equal sizes
 *   give a copy.
 * @throws ShapeError for another shape; ValueError for a bad size or values that are not 8-bit
 *   levels (non-integers, outside 0–255, NaN).
 */
export function resizeBicubicPil<T extends tf.Tensor3D | tf.Tensor4D>(image: T, size: [number, number]): T {
  const fn = 'resizeBicubicPil';
  checkImage(fn, 'image', image);
  if (!Array.isArray(size) || size.length !== 2) throw new ValueError(fn, 'size [height, width]', JSON.stringify(size) ?? String(size));
  checkInt(fn, 'size[0] (height)', size[0], 1);
  checkInt(fn, 'size[1] (width)', size[1], 1);
  const [outH, outW] = size;
  const [h, w] = sidesOf(image);
  const b = image.rank === 4 ? image.shape[0] : 1;
  const values = image.dataSync();
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!(v >= 0 && v <= 255 && Number.isInteger(v))) {
      throw new ValueError(
        fn,
        `image values that are 8-bit levels (integers in 0–255) of shape ${formatShape(image.shape)}`,
        `${v} at flat index ${i}`,
      );
    }
  }
  const per = h * w * 3;
  const outPer = outH * outW * 3;
  const result = new Int32Array(b * outPer);
  for (let n = 0; n < b; n++) {
    const src = values.subarray(n * per, (n + 1) * per);
    result.set(resampleBicubicU8(src, h, w, 3, outH, outW), n * outPer);
  }
  const shape: number[] = image.rank === 4 ? [b, outH, outW, 3] : [outH, outW, 3];
  return tf.tensor(result, shape as [number, number, number], 'int32') as T;
}

/**
 * torchvision's `Resize(S)` size rule for an int `S`: the shorter side becomes `S`, the longer
 * `int(S · long / short)` (truncated). Squares give `[S, S]`.
 * @param sides `[height, width]` of the input.
 * @returns `[height, width]` of the result.
 */
export function shorterSideSize(sides: [number, number], size: number): [number, number] {
  const fn = 'shorterSideSize';
  checkInt(fn, 'height', sides[0], 1);
  checkInt(fn, 'width', sides[1], 1);
  checkInt(fn, 'size', size, 1);
  const [h, w] = sides;
  return w <= h ? [Math.trunc((size * h) / w), size] : [size, Math.trunc((size * w) / h)];
}

/**
 * torchvision's `Resize(S, Image.BICUBIC)` on PIL images: the shorter side to `S`, the longer to
 * `int(S · long / short)`, with Pillow's bicubic ({@link resizeBicubicPil}). An image whose
 * shorter side is already `S` comes back unchanged (as int32).
 * @param image `[H, W, 3]` or `[B, H, W, 3]`, 8-bit levels (integers in 0–255).
 * @param size `S`, the shorter side of the result.
 * @returns int32, `[H′, W′, 3]` or `[B, H′, W′, 3]` with `min(H′, W′) = S`.
 */
export function resizeShorterSide<T extends tf.Tensor3D | tf.Tensor4D>(image: T, size: number): T {
  const fn = 'resizeShorterSide';
  checkImage(fn, 'image', image);
  checkInt(fn, 'size', size, 1);
  return resizeBicubicPil(image, shorterSideSize(sidesOf(image), size));
}
