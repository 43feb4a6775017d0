import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { InstanceNormalization, ResidualBlock } from '@tpfr/layers';
import type { TpfrModelConfig } from './config.js';
import { latentWidths } from './config.js';
import { hostMap, hostRows, writeHostRows, type HostMap } from './host-map.js';

/**
 * Band-wise inference of the networks. At 2048² with ngf 64 one full-resolution map is 1 GiB,
 * one at half resolution 512 MiB and one latent map 300 MiB; as whole tensors, beside their
 * temporaries, they do not fit the wasm heap (4 GiB, and a few blocks of hundreds of MiB leave it
 * too fragmented to reuse). Here every convolution stage runs on bands of rows: each band is
 * computed from the rows it needs (plus the halo of its convolution, reflected at the image's
 * border where the network pads by reflection), instance norm's statistics are summed over the
 * bands first (mean, then variance, as `tf.moments`), the maps below full resolution (the
 * downsamplings, every residual block, the latent) are kept as lists of bands of about 32 MiB (no
 * large block to allocate), and the full-resolution ones are recomputed band by band, never held
 * whole. The same weights as the layers'; the result equals the whole-image computation up to
 * float rounding.
 */

/** Bytes one band's map may take (32 MiB). */
const BAND_BYTES = 32 * 2 ** 20;

/**
 * {@link TpfrModel.encode} and `decode` work in bands when one full-resolution map would take
 * more than this (256 MiB: above about 1024² with ngf 64).
 */
export const BAND_THRESHOLD_BYTES = 256 * 2 ** 20;

/** A map `[B, height, width, channels]` that gives its rows on demand. */
interface Rows {
  readonly batch: number;
  readonly height: number;
  readonly width: number;
  readonly channels: number;
  /** Rows `[r0, r1)`, `0 ≤ r0 < r1 ≤ height`: a new tensor for the caller. */
  rows(r0: number, r1: number): tf.Tensor4D;
  /** Frees what the map holds (its cache, its statistics). */
  dispose(): void;
}

/** Rows per band for a map (at least 2), or the rows asked for. */
function bandOf(m: Pick<Rows, 'batch' | 'width' | 'channels' | 'height'>, asked?: number): number {
  if (asked !== undefined) return Math.min(m.height, asked);
  return Math.min(m.height, Math.max(2, Math.floor(BAND_BYTES / (4 * m.batch * m.width * m.channels))));
}

/** A whole tensor as rows (not owned: not disposed). */
function wholeRows(x: tf.Tensor4D): Rows {
  const [batch, height, width, channels] = x.shape;
  return { batch, height, width, channels, rows: (r0, r1) => tf.slice(x, [0, r0, 0, 0], [batch, r1 - r0, width, channels]), dispose: () => {} };
}

/** Rows `[r0, r1)` of `m`, zero outside `[0, height)`. */
function rowsWithZeros(m: Rows, r0: number, r1: number): tf.Tensor4D {
  const a = Math.max(0, r0);
  const b = Math.min(m.height, r1);
  const x = m.rows(a, b);
  if (a === r0 && b === r1) return x;
  const y = tf.pad(x, [[0, 0], [a - r0, r1 - b], [0, 0], [0, 0]]) as tf.Tensor4D;
  x.dispose();
  return y;
}

/** The map computed band by band and joined. */
function assemble(m: Rows, band: number): tf.Tensor4D {
  const parts: tf.Tensor4D[] = [];
  for (let r0 = 0; r0 < m.height; r0 += band) parts.push(m.rows(r0, Math.min(m.height, r0 + band)));
  if (parts.length === 1) return parts[0];
  const out = tf.concat(parts, 1) as tf.Tensor4D;
  tf.dispose(parts);
  return out;
}

/**
 * `m` computed once into bands of `band` rows that are kept (a map below full resolution); the
 * source is not needed afterwards. Its `dispose` frees the bands.
 */
function cached(m: Rows, band: number): Rows {
  const bands: tf.Tensor4D[] = [];
  for (let r0 = 0; r0 < m.height; r0 += band) bands.push(m.rows(r0, Math.min(m.height, r0 + band)));
  return {
    batch: m.batch, height: m.height, width: m.width, channels: m.channels,
    rows: (r0, r1) => {
      const first = Math.floor(r0 / band);
      const last = Math.floor((r1 - 1) / band);
      const pieces: tf.Tensor4D[] = [];
      for (let i = first; i <= last; i++) {
        const b0 = i * band;
        const a = Math.max(r0, b0) - b0;
        const b = Math.min(r1, b0 + bands[i].shape[1]) - b0;
        pieces.push(tf.slice(bands[i], [0, a, 0, 0], [m.batch, b - a, m.width, m.channels]));
      }
      if (pieces.length === 1) return pieces[0];
      const out = tf.concat(pieces, 1) as tf.Tensor4D;
      tf.dispose(pieces);
      return out;
    },
    dispose: () => tf.dispose(bands),
  };
}

/**
 * `activation(instanceNorm(m))` as rows (no norm when `epsilon` is null): the statistics are
 * summed over bands of `m` (two passes: mean, then variance), each requested band is normalized
 * on the fly. Its `dispose` frees the statistics and `m`.
 */
function normalized(m: Rows, epsilon: number | null, band: number, activation: (x: tf.Tensor4D) => tf.Tensor4D): Rows {
  let mean: tf.Tensor | null = null;
  let scale: tf.Tensor | null = null;
  if (epsilon !== null) {
    const sumOver = (g: (x: tf.Tensor4D) => tf.Tensor): tf.Tensor => {
      let acc: tf.Tensor | null = null;
      for (let r0 = 0; r0 < m.height; r0 += band) {
        const next: tf.Tensor = tf.tidy(() => {
          const s = tf.sum(g(m.rows(r0, Math.min(m.height, r0 + band))), [1, 2], true);
          return acc ? tf.add(acc, s) : s;
        });
        acc?.dispose();
        acc = next;
      }
      return acc!;
    };
    const count = m.height * m.width;
    const sum = sumOver((x) => x);
    const mu = tf.div(sum, count);
    sum.dispose();
    const sq = sumOver((x) => tf.square(tf.sub(x, mu)));
    scale = tf.tidy(() => tf.rsqrt(tf.add(tf.div(sq, count), epsilon)));
    sq.dispose();
    mean = mu;
  }
  return {
    batch: m.batch, height: m.height, width: m.width, channels: m.channels,
    rows: (r0, r1) => tf.tidy(() => {
      const x = m.rows(r0, r1);
      return activation(mean && scale ? (tf.mul(tf.sub(x, mean), scale) as tf.Tensor4D) : x);
    }),
    dispose: () => {
      tf.dispose([...(mean ? [mean] : []), ...(scale ? [scale] : [])]);
      m.dispose();
    },
  };
}

/**
 * `relu(instanceNorm(m))` as rows. With `cache`, m is computed once into bands that are kept
 * (for maps below full resolution); without, m is recomputed for each of the two statistics
 * passes and for every request (full resolution: never held whole).
 */
function normRelu(m: Rows, epsilon: number | null, band: number, cache: boolean): Rows {
  return normalized(cache ? cached(m, band) : m, epsilon, band, (x) => tf.relu(x));
}

/**
 * A k×k stride-1 convolution of `m` with reflection padding `k >> 1` on every side (the residual
 * blocks'): a band reads its rows plus the halo, mirrored at the image's top and bottom rows.
 */
function reflectConvRows(m: Rows, kernel: tf.Tensor4D, bias: tf.Tensor1D | null): Rows {
  const p = kernel.shape[0] >> 1;
  return {
    batch: m.batch, height: m.height, width: m.width, channels: kernel.shape[3],
    rows: (r0, r1) => tf.tidy(() => {
      const a = Math.max(0, r0 - p);
      const b = Math.min(m.height, r1 + p);
      // Where the halo leaves the image the band starts (ends) at its border: mirroring the band
      // is mirroring the image.
      const x = tf.mirrorPad(m.rows(a, b), [[0, 0], [p - (r0 - a), p - (b - r1)], [p, p], [0, 0]], 'reflect') as tf.Tensor4D;
      const y = tf.conv2d(x, kernel, 1, 'valid') as tf.Tensor4D;
      return bias ? (tf.add(y, bias) as tf.Tensor4D) : y;
    }),
    dispose: () => {},
  };
}

/** The weight of `layer` whose name ends with `/suffix` (the layer's own tensor). */
function weightOf(layer: tfl.layers.Layer, suffix: string): tf.Tensor | null {
  const w = layer.weights.find((v) => (v.originalName ?? v.name).endsWith(`/${suffix}`));
  return w ? w.read() : null;
}

/**
 * A residual block (`ResidualBlock` of @tpfr/layers) on bands:
 * `x + IN(conv(pad(PReLU(IN(conv(pad(x)))))))`, each convolution's output kept as bands while
 * it is needed. At most three maps of x's size exist at once, all in bands. `x` is not disposed.
 */
function residualRows(x: Rows, block: ResidualBlock, band: number): Rows {
  const kernel = (name: string) => weightOf(block, `${name}/kernel`) as tf.Tensor4D;
  const bias = (name: string) => weightOf(block, `${name}/bias`) as tf.Tensor1D | null;
  const alpha = weightOf(block, 'prelu/alpha')!;
  const first = normalized(cached(reflectConvRows(x, kernel('conv1'), bias('conv1')), band), block.epsilon, band, (t) => tf.prelu(t, alpha) as tf.Tensor4D);
  const second = normalized(cached(reflectConvRows(first, kernel('conv2'), bias('conv2')), band), block.epsilon, band, (t) => t);
  first.dispose();
  const out = cached({ ...x, rows: (r0, r1) => tf.tidy(() => tf.add(x.rows(r0, r1), second.rows(r0, r1)) as tf.Tensor4D) }, band);
  second.dispose();
  return out;
}

/**
 * Maps up to this size (128 MiB: a latent map of ngf 64 up to about 1450²) go through the residual
 * blocks whole, as the layers compute them; larger ones in bands.
 */
const WHOLE_RESIDUAL_BYTES = 128 * 2 ** 20;

/**
 * The residual blocks `${name}_res1…` of `model`, in bands for large maps or when the bands' rows
 * are given (`rowsPerBand`); frees `x` as it goes.
 */
function residualStage(cfg: TpfrModelConfig, model: tfl.LayersModel, name: string, x: Rows, band: number, rowsPerBand?: number): Rows {
  if (rowsPerBand === undefined && 4 * x.batch * x.height * x.width * x.channels <= WHOLE_RESIDUAL_BYTES) {
    let t = assemble(x, band);
    x.dispose();
    for (let i = 1; i <= cfg.residualBlocks; i++) {
      const next = model.getLayer(`${name}_res${i}`).apply(t) as tf.Tensor4D;
      t.dispose();
      t = next;
    }
    const whole = t;
    return { ...wholeRows(whole), dispose: () => whole.dispose() };
  }
  let y = x;
  for (let i = 1; i <= cfg.residualBlocks; i++) {
    const next = residualRows(y, model.getLayer(`${name}_res${i}`) as unknown as ResidualBlock, band);
    y.dispose();
    y = next;
  }
  return y;
}

/** tfjs' `'same'` padding before and after, for a side of `n` with kernel `k` and stride `s`. */
function samePadding(n: number, k: number, s: number): [number, number] {
  const out = Math.ceil(n / s);
  const total = Math.max((out - 1) * s + k - n, 0);
  return [Math.floor(total / 2), total - Math.floor(total / 2)];
}

/** Weights of a convolution layer: kernel and bias (the layer's own tensors: not to be disposed). */
function convWeights(model: tfl.LayersModel, name: string): { kernel: tf.Tensor4D; bias: tf.Tensor1D } {
  const [kernel, bias] = model.getLayer(name).getWeights();
  return { kernel: kernel as tf.Tensor4D, bias: bias as tf.Tensor1D };
}

/** The epsilon of the instance norm `name`, or null when the network has none there. */
function normEpsilon(model: tfl.LayersModel, name: string, norm: TpfrModelConfig['norm']): number | null {
  return norm === 'instance' ? (model.getLayer(name) as unknown as InstanceNormalization).epsilon : null;
}

/** A 3×3 stride-2 convolution of `m` (zero padding: `'symmetric'` one pixel on every side, or tfjs' `'same'`). */
function downsampleRows(m: Rows, w: { kernel: tf.Tensor4D; bias: tf.Tensor1D }, padding: TpfrModelConfig['downsamplePadding']): Rows {
  const [top] = padding === 'symmetric' ? [1, 1] : samePadding(m.height, 3, 2);
  const cols = padding === 'symmetric' ? [1, 1] : samePadding(m.width, 3, 2);
  const width = Math.floor((m.width + cols[0] + cols[1] - 3) / 2) + 1;
  const height = Math.ceil(m.height / 2);
  return {
    batch: m.batch, height, width, channels: w.kernel.shape[3],
    // Output row o reads input rows 2o − top … 2o − top + 2.
    rows: (o0, o1) => tf.tidy(() => {
      const x = rowsWithZeros(m, 2 * o0 - top, 2 * (o1 - 1) - top + 3);
      return tf.add(tf.conv2d(x, w.kernel, 2, [[0, 0], [0, 0], [cols[0], cols[1]], [0, 0]]), w.bias) as tf.Tensor4D;
    }),
    dispose: () => {},
  };
}

/** A 4×4 stride-2 `'same'` transposed convolution of `m` (one pixel cropped on each side). */
function upsampleRows(m: Rows, w: { kernel: tf.Tensor4D; bias: tf.Tensor1D }): Rows {
  const channels = w.kernel.shape[2];
  const [height, width] = [2 * m.height, 2 * m.width];
  return {
    batch: m.batch, height, width, channels,
    // Rows [u0, u1): a valid transposed convolution of the input rows that reach them, cropped.
    rows: (u0, u1) => tf.tidy(() => {
      const a = Math.max(0, Math.floor(u0 / 2) - 1);
      const b = Math.min(m.height, Math.ceil(u1 / 2) + 1);
      const full = tf.conv2dTranspose(m.rows(a, b), w.kernel, [m.batch, 2 * (b - a) + 2, width + 2, channels], 2, 'valid');
      return tf.add(tf.slice(full, [0, u0 - (2 * a - 1), 1, 0], [m.batch, u1 - u0, width, channels]), w.bias) as tf.Tensor4D;
    }),
    dispose: () => {},
  };
}

/** The map computed band by band into JS memory. */
function assembleHost(m: Rows, band: number): HostMap {
  const out = hostMap([m.batch, m.height, m.width, m.channels]);
  for (let r0 = 0; r0 < m.height; r0 += band) {
    const x = m.rows(r0, Math.min(m.height, r0 + band));
    writeHostRows(out, r0, x);
    x.dispose();
  }
  return out;
}

/** A tensor or a host map as rows (not owned: not disposed). */
function asRows(x: tf.Tensor4D | HostMap): Rows {
  if (x instanceof tf.Tensor) return wholeRows(x);
  const [batch, height, width, channels] = x.shape;
  return { batch, height, width, channels, rows: (r0, r1) => hostRows(x, r0, r1), dispose: () => {} };
}

/**
 * The encoder's codes for images `[B, H, W, 3]` (H, W multiples of the network's), with the stem
 * and the downsamplings computed in bands of rows.
 * @returns `[content, style]`, and `middle` (the map after the first downsampling) when asked.
 */
export function encodeInBands(cfg: TpfrModelConfig, encoder: tfl.LayersModel, images: tf.Tensor4D, opts: { rowsPerBand?: number; middle?: boolean } = {}): tf.Tensor4D[] {
  return encodeRows(cfg, encoder, images, { ...opts, host: false }) as tf.Tensor4D[];
}

/**
 * As {@link encodeInBands}, with the content `[B, h, w, Cc]` and style `[B, h, w, Cs]` codes
 * written band by band into JS memory: the backend's heap never holds them whole.
 */
export function encodeToHost(cfg: TpfrModelConfig, encoder: tfl.LayersModel, images: tf.Tensor4D, rowsPerBand?: number): { content: HostMap; style: HostMap } {
  const [content, style] = encodeRows(cfg, encoder, images, { rowsPerBand, host: true }) as HostMap[];
  return { content, style };
}

function encodeRows(cfg: TpfrModelConfig, encoder: tfl.LayersModel, images: tf.Tensor4D, opts: { rowsPerBand?: number; middle?: boolean; host: boolean }): (tf.Tensor4D | HostMap)[] {
  const padded = tf.mirrorPad(images, [[0, 0], [3, 3], [3, 3], [0, 0]], 'reflect') as tf.Tensor4D;
  const [batch, h, w] = images.shape;
  const stemW = convWeights(encoder, 'encoder_stem_conv');
  const stem: Rows = {
    batch, height: h, width: w, channels: cfg.ngf,
    rows: (r0, r1) => tf.tidy(() => tf.add(tf.conv2d(tf.slice(padded, [0, r0, 0, 0], [batch, r1 - r0 + 6, w + 6, 3]), stemW.kernel, 1, 'valid'), stemW.bias) as tf.Tensor4D),
    dispose: () => {},
  };
  const held: Rows[] = [];
  try {
    let band = bandOf(stem, opts.rowsPerBand);
    let act = normRelu(stem, normEpsilon(encoder, 'encoder_stem_in', cfg.norm), band, false);
    held.push(act);
    let middle: tf.Tensor4D | null = null;
    for (let i = 1; i <= cfg.downsamplings; i++) {
      const down = downsampleRows(act, convWeights(encoder, `encoder_down${i}_conv`), cfg.downsamplePadding);
      // A band of the downsampled map reads twice its rows above: keep those within a band too.
      band = Math.max(1, Math.min(bandOf(down, opts.rowsPerBand), Math.floor(band / 2)));
      act = normRelu(down, normEpsilon(encoder, `encoder_down${i}_in`, cfg.norm), band, true);
      // The map above is no longer needed once this one is in bands.
      held.splice(0).forEach((m) => m.dispose());
      held.push(act);
      if (i === 1 && opts.middle) middle = assemble(act, band);
    }
    padded.dispose();
    held.splice(0);
    const x = residualStage(cfg, encoder, 'encoder', act, band, opts.rowsPerBand);
    held.push(x);
    // The latent map (3·4·ngf channels: 900 MiB at 2048²) in bands too: a 1×1 convolution, its
    // norm, and the split into content, the global branch's input and the local style.
    const lw = convWeights(encoder, 'encoder_latent_conv');
    const latent: Rows = {
      batch, height: x.height, width: x.width, channels: lw.kernel.shape[3],
      rows: (r0, r1) => tf.tidy(() => tf.add(tf.conv2d(x.rows(r0, r1), lw.kernel, 1, 'valid'), lw.bias) as tf.Tensor4D),
      dispose: () => {},
    };
    const z = normRelu(latent, normEpsilon(encoder, 'encoder_latent_in', cfg.norm), bandOf(latent, opts.rowsPerBand), true);
    held.splice(0).forEach((m) => m.dispose());
    held.push(z);
    const widths = latentWidths(cfg);
    const channelRows = (c0: number, size: number): Rows => ({
      ...z, channels: size, rows: (r0, r1) => tf.tidy(() => tf.slice(z.rows(r0, r1), [0, 0, 0, c0], [batch, r1 - r0, z.width, size])),
    });
    const collect = (m: Rows): tf.Tensor4D | HostMap => (opts.host ? assembleHost(m, bandOf(m, opts.rowsPerBand)) : assemble(m, bandOf(m, opts.rowsPerBand)));
    const content = collect(channelRows(0, widths.content));
    let style: tf.Tensor4D | HostMap;
    if (cfg.globalStyle) {
      const half = widths.style / 2;
      const rawGlobal = assemble(channelRows(widths.content, half), bandOf(z, opts.rowsPerBand));
      const local = collect(channelRows(widths.content + half, half));
      held.splice(0).forEach((m) => m.dispose());
      const glob = encoder.getLayer('encoder_style_global').apply(rawGlobal) as tf.Tensor4D;
      rawGlobal.dispose();
      if (local instanceof tf.Tensor) {
        style = tf.concat([glob, local], -1) as tf.Tensor4D;
        tf.dispose([glob, local]);
      } else {
        const [g, l] = [wholeRows(glob), asRows(local)];
        style = assembleHost({ ...l, channels: widths.style, rows: (r0, r1) => tf.tidy(() => tf.concat([g.rows(r0, r1), l.rows(r0, r1)], -1) as tf.Tensor4D) }, bandOf({ ...l, channels: widths.style }, opts.rowsPerBand));
        glob.dispose();
      }
    } else {
      style = collect(channelRows(widths.content, widths.style));
    }
    return middle ? [content, style, middle] : [content, style];
  } finally {
    held.forEach((m) => m.dispose());
    if (!padded.isDisposed) padded.dispose();
  }
}

/**
 * A decoder's output for a latent given as its content `[B, h, w, Cc]` and style `[B, h, w, Cs]`
 * codes (tensors, or maps in JS memory), with the merge (never concatenating the whole latent),
 * the upsamplings (transposed convolutions) and the output convolution computed in bands of rows.
 */
export function decodeInBands(cfg: TpfrModelConfig, decoder: tfl.LayersModel, name: string, content: tf.Tensor4D | HostMap, style: tf.Tensor4D | HostMap, rowsPerBand?: number): tf.Tensor4D {
  const [zc, zs] = [asRows(content), asRows(style)];
  const { batch, height: lh, width: lw } = zc;
  const mw = convWeights(decoder, `${name}_merge_conv`);
  const merge: Rows = {
    batch, height: lh, width: lw, channels: mw.kernel.shape[3],
    rows: (r0, r1) => tf.tidy(() => tf.add(tf.conv2d(tf.concat([zc.rows(r0, r1), zs.rows(r0, r1)], -1) as tf.Tensor4D, mw.kernel, 1, 'valid'), mw.bias) as tf.Tensor4D),
    dispose: () => {},
  };
  const band = bandOf(merge, rowsPerBand);
  const merged = normRelu(merge, normEpsilon(decoder, `${name}_merge_in`, cfg.decoderNorm), band, true);
  const x = residualStage(cfg, decoder, name, merged, band, rowsPerBand);
  const held: Rows[] = [x];
  try {
    let act: Rows = x;
    for (let i = 1; i <= cfg.downsamplings; i++) {
      const up = upsampleRows(act, convWeights(decoder, `${name}_up${i}_convt`));
      const cache = i < cfg.downsamplings;
      act = normRelu(up, normEpsilon(decoder, `${name}_up${i}_in`, cfg.decoderNorm), bandOf(up, rowsPerBand), cache);
      // A map kept in bands no longer needs the maps it was computed from (300 MiB at 2048²).
      if (cache) held.splice(0).forEach((m) => m.dispose());
      held.push(act);
    }
    const out = convWeights(decoder, `${name}_out`);
    const full = act;
    const image: Rows = {
      batch: full.batch, height: full.height, width: full.width, channels: 3,
      // Reflect padding 3: the rows beyond the image are mirrors of rows inside the halo.
      rows: (r0, r1) => tf.tidy(() => {
        const a = Math.max(0, r0 - 3);
        const b = Math.min(full.height, r1 + 3);
        const y = tf.mirrorPad(full.rows(a, b), [[0, 0], [3 - (r0 - a), 3 - (b - r1)], [3, 3], [0, 0]], 'reflect') as tf.Tensor4D;
        return tf.tanh(tf.add(tf.conv2d(y, out.kernel, 1, 'valid'), out.bias)) as tf.Tensor4D;
      }),
      dispose: () => {},
    };
    return assemble(image, bandOf(full, rowsPerBand));
  } finally {
    held.forEach((m) => m.dispose());
  }
}

/** Whether band-wise inference applies to this configuration (transposed upsampling only). */
export function bandsSupported(cfg: TpfrModelConfig): boolean {
  return cfg.upsampling === 'transposed' && cfg.downsamplings >= 1;
}
