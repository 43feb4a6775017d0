import * as tf from '@tensorflow/tfjs-core';
import { ShapeError } from './errors.js';

/**
 * The mean of `x [B, H, W, C]` over H and W, `[B, 1, 1, C]`: `tf.mean(x, [1, 2], true)`, with the
 * same gradient (`dy / (H·W)` at every pixel).
 *
 * On wasm it is computed by XNNPACK's average pooling over the whole map, which reads NHWC as
 * it lies: about 10× faster than wasm's `Mean`, which first transposes the map so that H and W
 * come last. Elsewhere it is `tf.mean`. Instance normalization takes two of these per map.
 *
 * @example
 * ```ts
 * const m = spatialMean(tf.ones([2, 8, 8, 3]) as tf.Tensor4D); // [2, 1, 1, 3], all 1
 * ```
 */
export function spatialMean(x: tf.Tensor4D): tf.Tensor4D {
  if (x.rank !== 4) throw new ShapeError('spatialMean', 'x of rank 4 [B, H, W, C]', `shape [${x.shape.join(', ')}]`);
  const [, h, w] = x.shape;
  if (tf.getBackend() !== 'wasm' || h * w === 0) return tf.mean(x, [1, 2], true);
  return pooledMean(x);
}

/** Average pooling over the whole map, with the mean's gradient (wasm's AvgPoolGrad is ~25× slower). */
const pooledMean = tf.customGrad(((x: tf.Tensor) => {
  const shape = x.shape;
  const [, h, w] = shape;
  return {
    value: tf.avgPool(x as tf.Tensor4D, [h, w], 1, 'valid'),
    // dy / (H·W) at every pixel: only x's shape is needed, so x is not kept for the gradient.
    gradFunc: (dy: tf.Tensor) => tf.broadcastTo(tf.div(dy, h * w), shape),
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as (x: tf.Tensor4D) => tf.Tensor4D;
