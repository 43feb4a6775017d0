import * as tf from '@tensorflow/tfjs-core';
import { cachedRows, computedRows, forEachBand, rowsBeyond, type RowMap } from './row-map.js';

/*
 * The operations of the networks on row maps: each gives a map whose bands are computed from the
 * rows of its input that they need (plus the halo of a convolution), so that no full map is ever
 * allocated. Their parameters are plain numbers and tensors: the executor reads them from the
 * layers.
 */

/** Padding before and after along one side: `[before, after]`. */
export type SidePadding = [number, number];

/** An element-wise function of a map (activation, PReLU, …). */
export type Elementwise = (x: tf.Tensor4D) => tf.Tensor4D;

/** `f(m)` for an element-wise `f`. */
export function mapRows(m: RowMap, f: Elementwise, channels = m.channels): RowMap {
  return computedRows({ ...m, channels }, (r0, r1) => tf.tidy(() => f(m.rows(r0, r1))));
}

/**
 * `m` padded by `rows` above and below and `cols` left and right, the new pixels `'zero'` or
 * `'reflect'` (mirrored, the edge not repeated: PyTorch's `ReflectionPad2d`).
 */
export function padRows(m: RowMap, rows: SidePadding, cols: SidePadding, mode: 'zero' | 'reflect'): RowMap {
  const shape = { batch: m.batch, height: m.height + rows[0] + rows[1], width: m.width + cols[0] + cols[1], channels: m.channels };
  return computedRows(shape, (r0, r1) =>
    tf.tidy(() => {
      const x = rowsBeyond(m, r0 - rows[0], r1 - rows[0], mode);
      if (cols[0] === 0 && cols[1] === 0) return x;
      const p: [number, number][] = [[0, 0], [0, 0], cols, [0, 0]];
      return (mode === 'zero' ? tf.pad(x, p) : tf.mirrorPad(x, p, 'reflect')) as tf.Tensor4D;
    }),
  );
}

/** What a convolution needs besides its input. */
export interface ConvParams {
  /** `[kh, kw, Cin, Cout]` (transposed: `[kh, kw, Cout, Cin]`). */
  kernel: tf.Tensor4D;
  /** `[Cout]`, or null. */
  bias: tf.Tensor1D | null;
  /** `[sh, sw]`. */
  strides: [number, number];
  /** Zero padding `[top, bottom]` and `[left, right]` (tfjs' `'same'` resolved to numbers by {@link samePadding}). */
  padding: [SidePadding, SidePadding];
  /** Applied after the bias. */
  activation: Elementwise | null;
}

/** tfjs' `'same'` padding of a convolution: before and after, for a side of `n`, kernel `k`, stride `s`. */
export function samePadding(n: number, k: number, s: number): SidePadding {
  const total = Math.max((Math.ceil(n / s) - 1) * s + k - n, 0);
  return [Math.floor(total / 2), total - Math.floor(total / 2)];
}

/** A convolution of `m`: output row o reads the (zero-padded) input rows `o·s − top … o·s − top + kh − 1`. */
export function convRows(m: RowMap, p: ConvParams): RowMap {
  const [kh, kw, , cout] = p.kernel.shape;
  const [sh, sw] = p.strides;
  const [[top, bottom], [left, right]] = p.padding;
  const height = Math.floor((m.height + top + bottom - kh) / sh) + 1;
  const width = Math.floor((m.width + left + right - kw) / sw) + 1;
  const pad: [[number, number], [number, number], [number, number], [number, number]] = [
    [0, 0],
    [0, 0],
    [left, right],
    [0, 0],
  ];
  return computedRows({ batch: m.batch, height, width, channels: cout }, (o0, o1) =>
    tf.tidy(() => {
      const x = rowsBeyond(m, o0 * sh - top, (o1 - 1) * sh - top + kh, 'zero');
      let y = tf.conv2d(x, p.kernel, [sh, sw], left === 0 && right === 0 ? 'valid' : pad) as tf.Tensor4D;
      if (p.bias) y = tf.add(y, p.bias);
      return p.activation ? p.activation(y) : y;
    }),
  );
}

/** What a transposed convolution needs besides its input. */
export interface ConvTransposeParams extends Omit<ConvParams, 'padding'> {
  /** Rows and columns cropped from the start of the full output (tfjs' `'same'`: `⌊max(k − s, 0) / 2⌋`; `'valid'`: 0). */
  crop: [number, number];
  /** The output's height and width for an input of `h × w`. */
  outputSize: (h: number, w: number) => [number, number];
}

/**
 * A transposed convolution of `m`: input row i reaches the full output's rows `i·s … i·s + kh − 1`,
 * so output rows `[u0, u1)` (the full output cropped by `crop`) are a valid transposed
 * convolution of the input rows that reach them.
 */
export function convTransposeRows(m: RowMap, p: ConvTransposeParams): RowMap {
  const [kh, kw, cout] = p.kernel.shape;
  const [sh, sw] = p.strides;
  const [ch, cw] = p.crop;
  const [height, width] = p.outputSize(m.height, m.width);
  const fullWidth = (m.width - 1) * sw + kw;
  return computedRows({ batch: m.batch, height, width, channels: cout }, (u0, u1) =>
    tf.tidy(() => {
      const a = Math.max(0, Math.ceil((u0 + ch - kh + 1) / sh));
      const b = Math.min(m.height, Math.floor((u1 - 1 + ch) / sh) + 1);
      const full = tf.conv2dTranspose(m.rows(a, b), p.kernel, [m.batch, (b - a - 1) * sh + kh, fullWidth, cout], [sh, sw], 'valid');
      let y = tf.slice(full, [0, u0 + ch - a * sh, cw, 0], [m.batch, u1 - u0, width, cout]) as tf.Tensor4D;
      if (p.bias) y = tf.add(y, p.bias);
      return p.activation ? p.activation(y) : y;
    }),
  );
}

/** Nearest-neighbour upsampling of `m` by whole factors `[fh, fw]`. */
export function upsampleNearestRows(m: RowMap, factors: [number, number]): RowMap {
  const [fh, fw] = factors;
  return computedRows({ ...m, height: m.height * fh, width: m.width * fw }, (u0, u1) =>
    tf.tidy(() => {
      const a = Math.floor(u0 / fh);
      const b = Math.floor((u1 - 1) / fh) + 1;
      const up = tf.image.resizeNearestNeighbor(m.rows(a, b), [(b - a) * fh, m.width * fw]) as tf.Tensor4D;
      return tf.slice(up, [0, u0 - a * fh, 0, 0], [m.batch, u1 - u0, m.width * fw, m.channels]) as tf.Tensor4D;
    }),
  );
}

/** Channels `[start, start + size)` of `m`. */
export function channelRows(m: RowMap, start: number, size: number): RowMap {
  return computedRows({ ...m, channels: size }, (r0, r1) =>
    tf.tidy(() => tf.slice(m.rows(r0, r1), [0, 0, 0, start], [m.batch, r1 - r0, m.width, size]) as tf.Tensor4D),
  );
}

/** The maps side by side along the channels. */
export function concatRows(maps: RowMap[]): RowMap {
  const channels = maps.reduce((n, m) => n + m.channels, 0);
  return computedRows({ ...maps[0], channels }, (r0, r1) =>
    tf.tidy(
      () =>
        tf.concat(
          maps.map((m) => m.rows(r0, r1)),
          -1,
        ) as tf.Tensor4D,
    ),
  );
}

/** `a + b`, maps of one shape. */
export function addRows(a: RowMap, b: RowMap): RowMap {
  return computedRows(a, (r0, r1) => tf.tidy(() => tf.add(a.rows(r0, r1), b.rows(r0, r1)) as tf.Tensor4D));
}

/** Instance normalization's parameters. */
export interface NormParams {
  epsilon: number;
  /** `[C]` scale and offset (affine instance norm), or null. */
  gamma: tf.Tensor | null;
  beta: tf.Tensor | null;
}

/**
 * Instance normalization of `m`: the statistics are summed over bands of `band` rows of `m` (two
 * passes: the mean, then the variance about it, as `tf.moments`) on the first request; each
 * request then normalizes its rows. Its `dispose` frees the statistics.
 */
export function instanceNormRows(m: RowMap, p: NormParams, band: number): RowMap {
  let stats: { mean: tf.Tensor; scale: tf.Tensor } | null = null;
  const sumOver = (g: (x: tf.Tensor4D) => tf.Tensor): tf.Tensor => {
    let acc: tf.Tensor | null = null;
    forEachBand(m.height, band, (r0, r1) => {
      const next: tf.Tensor = tf.tidy(() => {
        const s = tf.sum(g(m.rows(r0, r1)), [1, 2], true);
        return acc ? tf.add(acc, s) : s;
      });
      acc?.dispose();
      acc = next;
    });
    return acc!;
  };
  const statistics = () => {
    if (stats) return stats;
    const count = m.height * m.width;
    const mean = tf.tidy(() =>
      tf.div(
        sumOver((x) => x),
        count,
      ),
    );
    const sq = sumOver((x) => tf.square(tf.sub(x, mean)));
    const scale = tf.tidy(() => tf.rsqrt(tf.add(tf.div(sq, count), p.epsilon)));
    sq.dispose();
    // Kept: the first request may come from inside another computation's tf.tidy.
    stats = { mean: tf.keep(mean), scale: tf.keep(scale) };
    return stats;
  };
  return {
    batch: m.batch,
    height: m.height,
    width: m.width,
    channels: m.channels,
    rows: (r0, r1) => {
      const s = statistics();
      return tf.tidy(() => {
        let y = tf.mul(tf.sub(m.rows(r0, r1), s.mean), s.scale);
        if (p.gamma) y = tf.mul(y, p.gamma);
        if (p.beta) y = tf.add(y, p.beta);
        return y as tf.Tensor4D;
      });
    },
    dispose: () => {
      if (stats) tf.dispose([stats.mean, stats.scale]);
      stats = null;
    },
  };
}

/** What a residual block (`ResidualBlock` of @tpfr/layers) computes with. */
export interface ResidualParams {
  conv1: { kernel: tf.Tensor4D; bias: tf.Tensor1D | null };
  conv2: { kernel: tf.Tensor4D; bias: tf.Tensor1D | null };
  /** PReLU slopes, `[1]` or `[C]`. */
  alpha: tf.Tensor;
  epsilon: number;
}

/**
 * A residual block on bands, `x + IN(conv2(pad(PReLU(IN(conv1(pad(x)))))))` with reflection
 * padding: each convolution's output kept in bands of `band` rows while it is needed. At most
 * three maps of x's size exist at once, all in bands. Returns the block's output in bands;
 * `x` is not freed.
 */
export function residualRows(x: RowMap, p: ResidualParams, band: number): RowMap {
  const norm = { epsilon: p.epsilon, gamma: null, beta: null };
  const conv = (m: RowMap, c: ResidualParams['conv1']) => {
    const k = c.kernel.shape[0] >> 1;
    return cachedRows(
      convRows(padRows(m, [k, k], [k, k], 'reflect'), {
        kernel: c.kernel,
        bias: c.bias,
        strides: [1, 1],
        padding: [
          [0, 0],
          [0, 0],
        ],
        activation: null,
      }),
      band,
    );
  };
  const c1 = conv(x, p.conv1);
  const n1 = instanceNormRows(c1, norm, band);
  const h1 = mapRows(n1, (t) => tf.prelu(t, p.alpha) as tf.Tensor4D);
  const c2 = conv(h1, p.conv2);
  n1.dispose();
  c1.dispose();
  const n2 = instanceNormRows(c2, norm, band);
  const out = cachedRows(addRows(x, n2), band);
  n2.dispose();
  c2.dispose();
  return out;
}
