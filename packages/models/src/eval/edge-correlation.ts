/**
 * Content score: how well a stylised result keeps the edges of its content image.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { assertImage, luminance, sobelMagnitude } from './filters.js';

/**
 * Pearson correlation of the luminance Sobel edge magnitudes of `result` and `content` (both
 * `[H, W, 3]`, any value range as long as it is the same; H, W ≥ 3). `result` is bilinearly resized
 * to `content`'s size when they differ. 1: same edges (also under a constant offset or a positive
 * contrast change); about 0: unrelated. When both edge maps are constant it returns 1, when one
 * only is constant 0 (the correlation is otherwise undefined).
 * @returns a plain number in `[-1, 1]`.
 * @throws ShapeError unless both images are `[H, W, 3]` with H, W ≥ 3.
 */
export function edgeCorrelation(result: tf.Tensor3D, content: tf.Tensor3D): number {
  assertImage('edgeCorrelation', 'result', result);
  assertImage('edgeCorrelation', 'content', content);
  const stats = tf.tidy(() => {
    const [h, w] = content.shape;
    let r = tf.cast(result, 'float32');
    if (r.shape[0] !== h || r.shape[1] !== w) r = tf.image.resizeBilinear(r, [h, w], false, true);
    const edges = (img: tf.Tensor3D) => tf.reshape(sobelMagnitude(luminance(tf.expandDims(img, 0) as tf.Tensor4D)), [-1]);
    const a = edges(r);
    const b = edges(tf.cast(content, 'float32'));
    const ac = tf.sub(a, tf.mean(a));
    const bc = tf.sub(b, tf.mean(b));
    return tf.stack([tf.sum(tf.mul(ac, bc)), tf.sum(tf.square(ac)), tf.sum(tf.square(bc))]);
  });
  const [cov, va, vb] = stats.dataSync();
  stats.dispose();
  // Summed squared deviations below float noise count as a constant edge map.
  const flatA = va <= 1e-12;
  const flatB = vb <= 1e-12;
  if (flatA && flatB) return 1;
  if (flatA || flatB) return 0;
  return Math.max(-1, Math.min(1, cov / Math.sqrt(va * vb)));
}
