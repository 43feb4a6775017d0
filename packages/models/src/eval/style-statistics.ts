/**
 * Style statistics of an image and the style distance between two images: Gram matrices of fixed
 * colour and multi-scale texture features, plus colour mean and standard deviation.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { assertImage, opponentColours, textureResponses } from './filters.js';

/** Scales (average-pooling factors) of the texture Grams. */
export const STYLE_SCALES: readonly number[] = [1, 2, 4];

/** Smallest image side {@link styleStatistics} accepts (the coarsest scale needs 3 × 3 pixels after pooling). */
export const MIN_STYLE_IMAGE_SIDE = 16;

/** Style statistics of one image (see {@link styleStatistics}). */
export interface StyleStatistics {
  /** Gram matrix of the RGB channels, `[3, 3]`: `Xᵀ X / N` over the N pixels. */
  colourGram: tf.Tensor2D;
  /** Gram matrices of the 7 texture responses at each scale of {@link STYLE_SCALES}, `[S, 7, 7]`. */
  textureGrams: tf.Tensor3D;
  /** Per-channel mean of RGB, `[3]`. */
  mean: tf.Tensor1D;
  /** Per-channel standard deviation of RGB, `[3]`. */
  std: tf.Tensor1D;
}

function gram(features: tf.Tensor4D): tf.Tensor2D {
  const c = features.shape[3];
  const f = tf.reshape(features, [-1, c]);
  return tf.div(tf.matMul(f, f, true, false), f.shape[0]) as tf.Tensor2D;
}

/**
 * Style statistics of `image` `[H, W, 3]` in `[-1, 1]` (H, W ≥ 16):
 * - `colourGram` `[3, 3]`: Gram of the RGB values, `Xᵀ X / N`;
 * - `textureGrams` `[3, 7, 7]`: for each scale s in 1, 2, 4, the image is average-pooled s × s,
 *   converted to luminance and colour opponents (L, R − G, (R + G)/2 − B), and the Gram
 *   `Fᵀ F / N` is taken of 7 fixed filter responses ('valid' 3 × 3 convolutions): Sobel x, Sobel y
 *   and Laplacian of L, Sobel x and y of each opponent channel — orientation, frequency and colour
 *   edge statistics, i.e. texture;
 * - `mean`, `std` `[3]`: per-channel colour mean and standard deviation.
 * Tensors are owned by the caller.
 * @throws ShapeError unless `image` is `[H, W, 3]` with H, W ≥ 16.
 */
export function styleStatistics(image: tf.Tensor3D): StyleStatistics {
  assertImage('styleStatistics', 'image', image, MIN_STYLE_IMAGE_SIDE);
  return tf.tidy(() => {
    const x = tf.expandDims(tf.cast(image, 'float32'), 0) as tf.Tensor4D;
    const grams = STYLE_SCALES.map((s) => {
      const pooled = s === 1 ? x : tf.avgPool(x, s, s, 'valid');
      return gram(textureResponses(opponentColours(pooled)));
    });
    const { mean, variance } = tf.moments(tf.reshape(x, [-1, 3]), 0);
    return {
      colourGram: gram(x),
      textureGrams: tf.stack(grams) as tf.Tensor3D,
      mean: mean as tf.Tensor1D,
      std: tf.sqrt(variance) as tf.Tensor1D,
    };
  });
}

/** Disposes the tensors of a {@link StyleStatistics}. */
export function disposeStyleStatistics(stats: StyleStatistics): void {
  tf.dispose([stats.colourGram, stats.textureGrams, stats.mean, stats.std]);
}

const EPS = 1e-8;

/** `‖a − b‖_F / ((‖a‖_F + ‖b‖_F) / 2 + ε)`, over the last two axes: a scalar per leading index. */
function relativeGramError(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  const axes = [a.rank - 2, a.rank - 1];
  const norm = (t: tf.Tensor) => tf.sqrt(tf.sum(tf.square(t), axes));
  return tf.div(norm(tf.sub(a, b)), tf.add(tf.mul(tf.add(norm(a), norm(b)), 0.5), EPS));
}

/**
 * The style distance of two statistics, as a scalar tensor (see {@link styleDistance}).
 */
export function styleDistanceOfStatistics(a: StyleStatistics, b: StyleStatistics): tf.Scalar {
  return tf.tidy(() => {
    const grams = tf.add(relativeGramError(a.colourGram, b.colourGram), tf.sum(relativeGramError(a.textureGrams, b.textureGrams)));
    const gramTerm = tf.div(grams, 1 + STYLE_SCALES.length);
    const rms = (x: tf.Tensor, y: tf.Tensor) => tf.div(tf.norm(tf.sub(x, y)), Math.sqrt(3));
    return tf.add(gramTerm, tf.add(rms(a.mean, b.mean), rms(a.std, b.std))) as tf.Scalar;
  });
}

/**
 * Style distance between two images `[H, W, 3]` in `[-1, 1]` (sizes may differ; H, W ≥ 16), or
 * between their precomputed {@link styleStatistics}:
 *
 * `d(a, b) = (r(Cₐ, C_b) + Σₛ r(Tₐˢ, T_bˢ)) / 4 + ‖μₐ − μ_b‖₂ / √3 + ‖σₐ − σ_b‖₂ / √3`
 *
 * where C is the colour Gram, Tˢ the texture Gram at scale s (s = 1, 2, 4), μ, σ the colour mean
 * and std, and `r(X, Y) = ‖X − Y‖_F / ((‖X‖_F + ‖Y‖_F) / 2 + 1e-8)` the symmetric relative Gram
 * error (in `[0, 2]`). d is symmetric, ≥ 0, and 0 for identical statistics.
 * @returns the distance as a plain number.
 */
export function styleDistance(a: tf.Tensor3D | StyleStatistics, b: tf.Tensor3D | StyleStatistics): number {
  const sa = a instanceof tf.Tensor ? styleStatistics(a) : a;
  const sb = b instanceof tf.Tensor ? styleStatistics(b) : b;
  try {
    const d = styleDistanceOfStatistics(sa, sb);
    const v = d.dataSync()[0];
    d.dispose();
    return v;
  } finally {
    if (sa !== a) disposeStyleStatistics(sa);
    if (sb !== b) disposeStyleStatistics(sb);
  }
}
