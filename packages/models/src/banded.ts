import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { InstanceNormalization } from '@tpfr/layers';
import type { TpfrModelConfig } from './config.js';
import { decoderBeforeLastUpsampling } from './decoder.js';
import { encoderAfterFirstConv } from './encoder.js';

/**
 * Band-wise inference at full resolution. The networks' full-resolution maps (`ngf` channels at
 * H×W: 1 GiB at 2048² with ngf 64) are the largest tensors of a stylization and would not fit
 * the wasm heap (4 GiB) beside their temporaries. Here the encoder's stem and first downsampling
 * and the decoder's last upsampling and output convolution run on bands of rows: each band is
 * computed from the rows it needs (plus the halo of its convolutions), instance norm's
 * statistics are summed over the bands first (mean, then variance, as `tf.moments` does), and
 * only one band's maps exist at a time. The rest of each network runs as usual, on the same
 * layers and weights. The result equals the whole-image computation up to float rounding.
 */

/** Bytes one band's full-resolution map may take (32 MiB). */
const BAND_BYTES = 32 * 2 ** 20;

/**
 * {@link TpfrModel.encode} and `decode` work in bands when one full-resolution map would take
 * more than this (256 MiB: above about 1024² with ngf 64).
 */
export const BAND_THRESHOLD_BYTES = 256 * 2 ** 20;

/** Weights of a convolution layer: kernel and bias (not copies: not to be disposed). */
function convWeights(model: tfl.LayersModel, name: string): { kernel: tf.Tensor4D; bias: tf.Tensor1D } {
  const [kernel, bias] = model.getLayer(name).getWeights();
  return { kernel: kernel as tf.Tensor4D, bias: bias as tf.Tensor1D };
}

/** The epsilon of the instance norm `name`, or null when the network has none there. */
function normEpsilon(model: tfl.LayersModel, name: string, norm: TpfrModelConfig['norm']): number | null {
  return norm === 'instance' ? (model.getLayer(name) as unknown as InstanceNormalization).epsilon : null;
}

/** Rows of a band of `rows` rows for maps of `bytesPerRow` (even, at least 2), or the rows asked for. */
function bandRows(bytesPerRow: number, rows: number, asked?: number): number {
  if (asked !== undefined) return Math.min(rows, asked);
  return Math.min(rows, Math.max(2, 2 * Math.floor(BAND_BYTES / bytesPerRow / 2)));
}

/** A map computed by row ranges: `rows(r0, r1)` → `[B, r1 − r0, W, C]`. */
type RowFn = (r0: number, r1: number) => tf.Tensor4D;

/**
 * `relu(instanceNorm(f))` of a map given by row ranges, as a row function, with the statistics
 * over all `height` rows summed band by band (two passes; f is recomputed, never held whole).
 */
function normalizedRelu(f: RowFn, height: number, width: number, band: number, epsilon: number | null): { rows: RowFn; dispose: () => void } {
  if (epsilon === null) return { rows: (r0, r1) => tf.tidy(() => tf.relu(f(r0, r1))), dispose: () => {} };
  const sumOver = (g: (x: tf.Tensor4D) => tf.Tensor): tf.Tensor => {
    let acc: tf.Tensor | null = null;
    for (let r0 = 0; r0 < height; r0 += band) {
      const next = tf.tidy(() => {
        const s = tf.sum(g(f(r0, Math.min(height, r0 + band))), [1, 2], true);
        return acc ? tf.add(acc, s) : s;
      });
      acc?.dispose();
      acc = next;
    }
    return acc!;
  };
  const count = height * width;
  const sum = sumOver((x) => x);
  const mean = tf.div(sum, count);
  sum.dispose();
  const sq = sumOver((x) => tf.square(tf.sub(x, mean)));
  const scale = tf.tidy(() => tf.rsqrt(tf.add(tf.div(sq, count), epsilon)));
  sq.dispose();
  return {
    rows: (r0, r1) => tf.tidy(() => tf.relu(tf.mul(tf.sub(f(r0, r1), mean), scale)) as tf.Tensor4D),
    dispose: () => tf.dispose([mean, scale]),
  };
}

/** tfjs' `'same'` padding before and after, for a side of `n` with kernel `k` and stride `s`. */
function samePadding(n: number, k: number, s: number): [number, number] {
  const out = Math.ceil(n / s);
  const total = Math.max((out - 1) * s + k - n, 0);
  return [Math.floor(total / 2), total - Math.floor(total / 2)];
}

/** Rows `[r0, r1)` of `rows` (a row function over `height` rows), zero outside `[0, height)`. */
function rowsWithZeros(rows: RowFn, height: number, r0: number, r1: number): tf.Tensor4D {
  const a = Math.max(0, r0);
  const b = Math.min(height, r1);
  const x = rows(a, b);
  if (a === r0 && b === r1) return x;
  const y = tf.pad(x, [[0, 0], [a - r0, r1 - b], [0, 0], [0, 0]]) as tf.Tensor4D;
  x.dispose();
  return y;
}

/**
 * The encoder's output for images `[B, H, W, 3]` (H, W multiples of the network's), with the
 * stem and the first downsampling computed in bands of rows.
 */
export function encodeInBands(cfg: TpfrModelConfig, encoder: tfl.LayersModel, after: tfl.LayersModel, images: tf.Tensor4D, rowsPerBand?: number): tf.Tensor4D[] {
  const [bsz, h, w] = images.shape;
  const stem = convWeights(encoder, 'encoder_stem_conv');
  const down = convWeights(encoder, 'encoder_down1_conv');
  const padded = tf.mirrorPad(images, [[0, 0], [3, 3], [3, 3], [0, 0]], 'reflect') as tf.Tensor4D;
  const stemRows: RowFn = (r0, r1) => tf.tidy(() => {
    const x = tf.slice(padded, [0, r0, 0, 0], [bsz, r1 - r0 + 6, w + 6, 3]);
    return tf.add(tf.conv2d(x, stem.kernel, 1, 'valid'), stem.bias) as tf.Tensor4D;
  });
  const band = bandRows(bsz * w * cfg.ngf * 4, h, rowsPerBand);
  const act = normalizedRelu(stemRows, h, w, band, normEpsilon(encoder, 'encoder_stem_in', cfg.norm));
  const [top] = cfg.downsamplePadding === 'symmetric' ? [1, 1] : samePadding(h, 3, 2);
  const cols = cfg.downsamplePadding === 'symmetric' ? [1, 1] : samePadding(w, 3, 2);
  const outH = Math.ceil(h / 2);
  const outBand = Math.max(1, band >> 1);
  const parts: tf.Tensor4D[] = [];
  try {
    for (let o0 = 0; o0 < outH; o0 += outBand) {
      const o1 = Math.min(outH, o0 + outBand);
      parts.push(tf.tidy(() => {
        // Output row o reads input rows 2o − top … 2o − top + 2.
        const x = rowsWithZeros(act.rows, h, 2 * o0 - top, 2 * (o1 - 1) - top + 3);
        return tf.add(tf.conv2d(x, down.kernel, 2, [[0, 0], [0, 0], [cols[0], cols[1]], [0, 0]]), down.bias) as tf.Tensor4D;
      }));
    }
  } finally {
    act.dispose();
    padded.dispose();
  }
  const first = parts.length === 1 ? parts[0] : (tf.concat(parts, 1) as tf.Tensor4D);
  if (parts.length > 1) tf.dispose(parts);
  const out = after.apply(first, { training: false }) as tf.Tensor4D[];
  first.dispose();
  return out;
}

/**
 * A decoder's output for a latent `[B, h, w, C]`, with the last upsampling (a transposed
 * convolution) and the output convolution computed in bands of rows.
 */
export function decodeInBands(cfg: TpfrModelConfig, decoder: tfl.LayersModel, before: tfl.LayersModel, name: string, latent: tf.Tensor4D, rowsPerBand?: number): tf.Tensor4D {
  const x = before.apply(latent, { training: false }) as tf.Tensor4D;
  const [bsz, xh, xw] = x.shape;
  const n = cfg.downsamplings;
  const up = convWeights(decoder, `${name}_up${n}_convt`);
  const out = convWeights(decoder, `${name}_out`);
  const width = up.kernel.shape[2];
  const [h, w] = [2 * xh, 2 * xw];
  // Rows [u0, u1) of the 'same' transposed convolution (stride 2, kernel 4, one pixel cropped on
  // each side): a valid one over the input rows that reach them, cropped.
  const upRows: RowFn = (u0, u1) => tf.tidy(() => {
    const a = Math.max(0, Math.floor(u0 / 2) - 1);
    const b = Math.min(xh, Math.ceil(u1 / 2) + 1);
    const band = tf.slice(x, [0, a, 0, 0], [bsz, b - a, xw, x.shape[3]]);
    const full = tf.conv2dTranspose(band, up.kernel, [bsz, 2 * (b - a) + 2, 2 * xw + 2, width], 2, 'valid');
    return tf.add(tf.slice(full, [0, u0 - (2 * a - 1), 1, 0], [bsz, u1 - u0, w, width]), up.bias) as tf.Tensor4D;
  });
  const band = bandRows(bsz * w * width * 4, h, rowsPerBand);
  const act = normalizedRelu(upRows, h, w, band, normEpsilon(decoder, `${name}_up${n}_in`, cfg.decoderNorm));
  const parts: tf.Tensor4D[] = [];
  try {
    for (let r0 = 0; r0 < h; r0 += band) {
      const r1 = Math.min(h, r0 + band);
      parts.push(tf.tidy(() => {
        // Reflect padding 3: the rows beyond the image are mirrors of rows inside the halo.
        const a = Math.max(0, r0 - 3);
        const b = Math.min(h, r1 + 3);
        const y = tf.mirrorPad(act.rows(a, b), [[0, 0], [3 - (r0 - a), 3 - (b - r1)], [3, 3], [0, 0]], 'reflect');
        return tf.tanh(tf.add(tf.conv2d(y as tf.Tensor4D, out.kernel, 1, 'valid'), out.bias)) as tf.Tensor4D;
      }));
    }
  } finally {
    act.dispose();
    x.dispose();
  }
  const image = parts.length === 1 ? parts[0] : (tf.concat(parts, 1) as tf.Tensor4D);
  if (parts.length > 1) tf.dispose(parts);
  return image;
}

/** The sub-models that band-wise inference runs (built once per model, sharing its layers). */
export interface BandedParts {
  encoderAfterFirstConv: tfl.LayersModel;
  mainBeforeLastUp: tfl.LayersModel;
  auxBeforeLastUp: tfl.LayersModel;
}

/** Builds the {@link BandedParts} of a model's encoder and decoders. */
export function createBandedParts(cfg: TpfrModelConfig, encoder: tfl.LayersModel, main: tfl.LayersModel, aux: tfl.LayersModel): BandedParts {
  return {
    encoderAfterFirstConv: encoderAfterFirstConv(cfg, encoder),
    mainBeforeLastUp: decoderBeforeLastUpsampling(cfg, main, 'main_decoder'),
    auxBeforeLastUp: decoderBeforeLastUpsampling(cfg, aux, 'aux_decoder'),
  };
}

/** Whether band-wise inference applies to this configuration (transposed upsampling only). */
export function bandsSupported(cfg: TpfrModelConfig): boolean {
  return cfg.upsampling === 'transposed' && cfg.downsamplings >= 1;
}
