import * as tf from '@tensorflow/tfjs-core';

/*
 * Colour preservation, the two standard ways (Gatys et al., "Preserving Color in Neural Artistic
 * Style Transfer", 2016): keep the content's chroma in the result (luminance only transfer), or
 * match the exemplars' colours to the content's before stylizing. Both are linear in the pixel
 * values, so they work on either pixel scale (0–255 or the networks' [−1, 1]).
 */

/** RGB → YIQ (NTSC): rows are Y, I, Q. */
const RGB_TO_YIQ = [
  [0.299, 0.587, 0.114],
  [0.595716, -0.274453, -0.321263],
  [0.211456, -0.522591, 0.311135],
];

function inverse3(m: number[][]): number[][] {
  const [[a, b, c], [d, e, f], [g, h, i]] = m;
  const A = e * i - f * h;
  const B = -(d * i - f * g);
  const C = d * h - e * g;
  const det = a * A + b * B + c * C;
  return [
    [A / det, -(b * i - c * h) / det, (b * f - c * e) / det],
    [B / det, (a * i - c * g) / det, -(a * f - c * d) / det],
    [C / det, -(a * h - b * g) / det, (a * e - b * d) / det],
  ];
}

const YIQ_TO_RGB = inverse3(RGB_TO_YIQ);

/**
 * `R · diag(keep) · R⁻¹` as the right-hand matrix of `rgb [N, 3] · M`: the part of a pixel's colour
 * whose YIQ components `keep` selects.
 */
function yiqPart(keep: [number, number, number]): number[][] {
  const out = [
    [0, 0, 0],
    [0, 0, 0],
    [0, 0, 0],
  ];
  // rgb · RGB_TO_YIQᵀ gives yiq; yiq · YIQ_TO_RGBᵀ gives rgb.
  for (let r = 0; r < 3; r++) {
    for (let c = 0; c < 3; c++) {
      let s = 0;
      for (let k = 0; k < 3; k++) s += RGB_TO_YIQ[k][r] * keep[k] * YIQ_TO_RGB[c][k];
      out[r][c] = s;
    }
  }
  return out;
}

const LUMINANCE = yiqPart([1, 0, 0]);
const CHROMA = yiqPart([0, 1, 1]);

/** `[..., 3]` RGB → YIQ (Y the luminance, I and Q the chroma), same scale as the input. */
export function rgbToYiq(rgb: tf.Tensor): tf.Tensor {
  return tf.tidy(() =>
    linear3(
      rgb,
      RGB_TO_YIQ.map((row) => row.slice()),
      true,
    ),
  );
}

/** `x [..., 3] · M` where M is given row-major (`transposed`: `x · Mᵀ`). */
function linear3(x: tf.Tensor, m: number[][], transposed = false): tf.Tensor {
  const flat = tf.reshape(x, [-1, 3]);
  const mat = tf.tensor2d(transposed ? [0, 1, 2].map((r) => [0, 1, 2].map((c) => m[c][r])) : m);
  return tf.reshape(tf.matMul(flat, mat), x.shape);
}

/**
 * The result's luminance with the content's chroma (YIQ): `Y(result) + IQ(content)`, back in RGB.
 * Shapes `[..., 3]`, equal; any pixel scale (the map is linear). The output's I and Q equal the
 * content's and its Y the result's, up to float rounding (clip afterwards if needed).
 */
export function keepContentChroma(result: tf.Tensor, content: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.add(linear3(result, LUMINANCE), linear3(content, CHROMA)));
}

/** Mean `[3]` and covariance `[3, 3]` of the pixels of `x [..., 3]`. */
export function colorStatistics(x: tf.Tensor): { mean: tf.Tensor1D; covariance: tf.Tensor2D } {
  return tf.tidy(() => {
    const flat = tf.reshape(x, [-1, 3]) as tf.Tensor2D;
    const mean = tf.mean(flat, 0) as tf.Tensor1D;
    const centred = tf.sub(flat, mean);
    const covariance = tf.div(tf.matMul(centred, centred, true, false), flat.shape[0]) as tf.Tensor2D;
    return { mean, covariance };
  });
}

/** The lower Cholesky factor of a 3×3 covariance `[3, 3]`, in tensor ops (no read back): `L · Lᵀ = S`. */
function cholesky3(s: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const e = (r: number, c: number) => tf.reshape(tf.slice(s, [r, c], [1, 1]), []);
    // A diagonal entry is a square root of what may round to a tiny negative on flat images.
    const root = (x: tf.Tensor) => tf.sqrt(tf.relu(x));
    const safe = (x: tf.Tensor) => tf.maximum(x, 1e-12);
    const l00 = root(e(0, 0));
    const l10 = tf.div(e(1, 0), safe(l00));
    const l20 = tf.div(e(2, 0), safe(l00));
    const l11 = root(tf.sub(e(1, 1), tf.square(l10)));
    const l21 = tf.div(tf.sub(e(2, 1), tf.mul(l20, l10)), safe(l11));
    const l22 = root(tf.sub(tf.sub(e(2, 2), tf.square(l20)), tf.square(l21)));
    const zero = tf.scalar(0);
    return tf.reshape(tf.stack([l00, zero, zero, l10, l11, zero, l20, l21, l22]), [3, 3]) as tf.Tensor2D;
  });
}

/** The inverse of a lower-triangular 3×3 `[3, 3]`, in tensor ops. */
function inverseLower3(l: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const e = (r: number, c: number) => tf.reshape(tf.slice(l, [r, c], [1, 1]), []);
    const [a, b, c, d, f, g] = [e(0, 0), e(1, 0), e(1, 1), e(2, 0), e(2, 1), e(2, 2)];
    const ia = tf.reciprocal(a);
    const ic = tf.reciprocal(c);
    const ig = tf.reciprocal(g);
    const m10 = tf.neg(tf.mul(tf.mul(b, ia), ic));
    const m21 = tf.neg(tf.mul(tf.mul(f, ic), ig));
    const m20 = tf.mul(tf.sub(tf.mul(tf.mul(f, b), ic), d), tf.mul(ia, ig));
    const zero = tf.scalar(0);
    return tf.reshape(tf.stack([ia, zero, zero, m10, ic, zero, m20, m21, ig]), [3, 3]) as tf.Tensor2D;
  });
}

/** Added to the source's covariance diagonal before it is inverted (flat images have none), in the pixel scale's squared units relative to 1. */
const COVARIANCE_RIDGE = 1e-6;

/**
 * `source [..., 3]` with its colours matched to `target [..., 3]`'s mean and covariance:
 * `x′ = μ_t + L_t · L_s⁻¹ · (x − μ_s)`, L the Cholesky factors of the covariances, so that the
 * output's mean and covariance equal the target's (up to float rounding and a ridge of 1e-6 on
 * the source's covariance, which keeps a flat source invertible). Tensor ops only: no read back,
 * so it runs on every backend. The output is not clipped.
 */
export function matchColors(source: tf.Tensor, target: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const s = colorStatistics(source);
    const t = colorStatistics(target);
    const ls = cholesky3(tf.add(s.covariance, tf.mul(tf.eye(3), COVARIANCE_RIDGE)) as tf.Tensor2D);
    const lt = cholesky3(t.covariance);
    // Row vectors: x′ = μ_t + (x − μ_s) · (L_t · L_s⁻¹)ᵀ.
    const transfer = tf.matMul(lt, inverseLower3(ls));
    const flat = tf.reshape(source, [-1, 3]);
    const out = tf.add(tf.matMul(tf.sub(flat, s.mean), transfer, false, true), t.mean);
    return tf.reshape(out, source.shape);
  });
}
